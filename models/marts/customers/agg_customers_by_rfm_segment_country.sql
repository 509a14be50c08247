-- RFM segment x country grain: one row per RFM segment and customer country (ZZ = unknown) that
-- has purchasing customers, with customers, revenue, AOV and repeat purchase rate. Shares are
-- within the country.
{{ customer_group_mart(['rfm_segment', 'country_code', 'country_name'], within='country_code') }}
