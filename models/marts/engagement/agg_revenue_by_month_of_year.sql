-- Month-of-year grain: one row per calendar month 1-12 (seasonality), with completed orders and net
-- revenue over every year before the as-of date, the number of days of that month in the period,
-- and the average revenue per day (comparable across months of different lengths and coverage).
{{ revenue_by_calendar_part(
    'month_number', 'month_name',
    ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
     'November', 'December']
) }}
