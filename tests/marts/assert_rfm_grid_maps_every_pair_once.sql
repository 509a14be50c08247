-- Every (recency score, frequency score) pair 1..5 x 1..5 maps to exactly one RFM segment, and
-- that segment is in the segment catalogue. Returns the pairs that do not.
with

scores as (

    select 1 as score union all select 2 union all select 3 union all select 4 union all select 5

),

pairs as (

    select
        r.score as r_score,
        f.score as f_score
    from scores as r
    cross join scores as f

),

grid as (

    select r_score, f_score, rfm_segment from {{ ref('rfm_segments') }}

),

catalogue as (

    select segment from {{ ref('segment_catalog') }}
    where segment_type = 'rfm_segment'

),

matches as (

    select
        pairs.r_score,
        pairs.f_score,
        count(grid.rfm_segment) as segments,
        count(catalogue.segment) as catalogued_segments
    from pairs
    left join grid
        on pairs.r_score = grid.r_score and pairs.f_score = grid.f_score
    left join catalogue
        on grid.rfm_segment = catalogue.segment
    group by pairs.r_score, pairs.f_score

)

select * from matches
where segments <> 1 or catalogued_segments <> 1
