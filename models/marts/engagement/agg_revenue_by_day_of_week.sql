-- Day-of-week grain: one row per ISO day of week (Monday = 1 ... Sunday = 7), with completed orders
-- and net revenue before the as-of date, the number of such days in the period, and the average
-- revenue per day.
{{ revenue_by_calendar_part(
    'iso_day_of_week', 'day_name',
    ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']
) }}
