-- Benchmark data set, deterministic (no random(), no now()): every id is md5 of a name, every
-- value a function of the row number. Run on a freshly migrated, empty database.
--
--   users                   1,000   bench-user-<u>, u = 1..1000
--   trend_insights         20,000   20 per user
--   content_drafts        200,000   200 per user, one every ~1.8 days over the year before
--                                   2026-11-01; 80 % written from one of the user's trends;
--                                   half published
--   trend_content_mapping 200,000   one per draft, to one of the user's trends
--   content_performance   100,000   one per published draft
--
-- A user's id is md5('bench-user-' || u)::uuid, which is how the load scripts and the SQL
-- files under sql/ pick a user without looking it up.
\set ON_ERROR_STOP on

BEGIN;

INSERT INTO users (id, email, password_hash, role, created_at, updated_at, last_sign_in_at)
SELECT md5('bench-user-' || u)::uuid,
       'bench-user-' || u || '@example.com',
       NULL,
       'authenticated',
       timestamptz '2025-06-01 00:00:00+00' + u * interval '3 hours',
       timestamptz '2025-06-01 00:00:00+00' + u * interval '3 hours',
       timestamptz '2026-10-31 00:00:00+00' - u * interval '7 minutes'
FROM generate_series(1, 1000) AS u;

-- Trend t belongs to user u = ((t - 1) % 1000) + 1 and is that user's j-th (j = (t - 1) / 1000):
-- user u owns trends u, u + 1000, ..., u + 19000.
INSERT INTO trend_insights (id, user_id, trend_topic, trend_description, confidence_score, momentum_score,
                            source_count, peak_prediction, relevant_keywords, source_evidence,
                            content_opportunities, trend_category, geographic_data, status, expires_at,
                            created_at, updated_at)
SELECT md5('bench-trend-' || t)::uuid,
       md5('bench-user-' || u)::uuid,
       (ARRAY['AI agents in customer support', 'Creator economy consolidation', 'Short-form video fatigue',
              'LinkedIn carousels comeback', 'Remote work rollbacks', 'Open-source LLM releases',
              'Newsletter monetisation', 'Personal branding for engineers', 'Threads vs X engagement',
              'B2B founder-led marketing'])[(u + j) % 10 + 1] || ' #' || t,
       'Signals from ' || ((u * 7 + j) % 50 + 1) || ' sources point to rising interest in this topic among '
           || (ARRAY['founders', 'marketers', 'engineers', 'designers', 'creators'])[(u + j) % 5 + 1]
           || '; engagement on related posts grew week over week.',
       ((u * 7 + j * 37) % 100) / 100.0,
       ((u * 13 + j * 53) % 10000) / 100.0,
       (u * 7 + j) % 50 + 1,
       timestamptz '2026-11-01 00:00:00+00' + ((u + j) % 30) * interval '1 day',
       jsonb_build_array('ai', 'growth', 'topic-' || ((u + j) % 97)),
       jsonb_build_array(jsonb_build_object('source', 'twitter', 'mentions', (u * 3 + j * 11) % 400)),
       jsonb_build_array('thread', 'carousel'),
       (ARRAY['technology', 'business', 'marketing', 'career', 'culture'])[(u + 2 * j) % 5 + 1],
       jsonb_build_object('US', 0.5, 'EU', 0.3, 'other', 0.2),
       (ARRAY['active', 'active', 'declining', 'expired'])[(u + j) % 4 + 1],
       timestamptz '2026-12-01 00:00:00+00' + ((u + j) % 60) * interval '1 day',
       timestamptz '2026-11-01 00:00:00+00' - t * interval '26 minutes',
       timestamptz '2026-11-01 00:00:00+00' - t * interval '26 minutes'
FROM generate_series(1, 20000) AS t
CROSS JOIN LATERAL (SELECT (t - 1) % 1000 + 1 AS u, (t - 1) / 1000 AS j) AS o;

-- Draft d belongs to user u = ((d - 1) % 1000) + 1 and is that user's k-th newest
-- (k = (d - 1) / 1000, 0..199). Drafts with an even k are published (half of every user's
-- drafts, alternating in time); four in five are written from the user's trend u + 1000 (k % 20).
INSERT INTO content_drafts (id, user_id, platform, content_type, content, hook, hashtags, mentions, media_urls,
                            trend_source_id, voice_confidence_score, engagement_prediction, status,
                            feedback_score, user_edits, published_at, published_url, actual_performance,
                            created_at, updated_at)
SELECT md5('bench-draft-' || d)::uuid,
       md5('bench-user-' || u)::uuid,
       p.platform,
       (CASE p.platform
            WHEN 'twitter' THEN ARRAY['single_tweet', 'thread', 'quote_tweet']
            WHEN 'linkedin' THEN ARRAY['linkedin_short', 'linkedin_long', 'linkedin_carousel']
            ELSE ARRAY['instagram_reel', 'instagram_carousel', 'instagram_reel'] END)[(k / 3) % 3 + 1],
       (ARRAY['Most teams do not need another tool. They need fewer meetings and a clear owner for every decision.',
              'I shipped a side project in 30 days. Here is what worked, what did not, and what I would do differently.',
              'Hot take: the best growth channel is still a product people talk about without being asked to.',
              'Three lessons from hiring our first ten engineers, and the one mistake we made twice.',
              'Everyone is talking about AI agents. Almost nobody is measuring whether they save time.'])[(u + k) % 5 + 1]
           || ' ' || (ARRAY['What would you add?', 'Thread below.', 'Agree or disagree?', 'Save this for later.',
                            'More on this tomorrow.', 'Curious what you have seen.'])[(u + 7 * k) % 6 + 1]
           || ' (draft ' || d || ')',
       (ARRAY['Stop doing this.', 'Here is the truth:', 'Nobody tells you this:', NULL])[(u + k) % 4 + 1],
       jsonb_build_array('#' || (ARRAY['ai', 'startups', 'growth', 'productivity', 'leadership'])[(u + k) % 5 + 1], '#creator'),
       '[]'::jsonb,
       CASE WHEN (u + k) % 3 = 2 THEN jsonb_build_array('https://cdn.example.com/media/' || d || '.jpg') ELSE '[]'::jsonb END,
       CASE WHEN k % 5 <> 4 THEN md5('bench-trend-' || (u + 1000 * (k % 20)))::uuid END,
       ((u * 3 + k * 7) % 100) / 100.0,
       jsonb_build_object('likes', (u + k * 13) % 500, 'comments', (u + k) % 40, 'shares', (u + k) % 25),
       CASE WHEN k % 2 = 0 THEN 'published'
            ELSE (ARRAY['pending', 'approved', 'rejected', 'archived'])[(u + k / 2) % 4 + 1] END,
       CASE (u + k) % 7 WHEN 0 THEN -1 WHEN 1 THEN 1 WHEN 2 THEN 0 END,
       CASE WHEN (u + k) % 11 = 0 THEN 'Shortened the hook and removed one hashtag.' END,
       CASE WHEN k % 2 = 0 THEN c.created_at + interval '2 hours' END,
       CASE WHEN k % 2 = 0 THEN 'https://social.example.com/p/' || d END,
       CASE WHEN k % 2 = 0 THEN jsonb_build_object('likes', (u + k * 13) % 700, 'impressions', (u * 31 + k * 97) % 90000)
            ELSE '{}'::jsonb END,
       c.created_at,
       c.created_at
FROM generate_series(1, 200000) AS d
CROSS JOIN LATERAL (SELECT (d - 1) % 1000 + 1 AS u, (d - 1) / 1000 AS k) AS o
CROSS JOIN LATERAL (SELECT (ARRAY['twitter', 'linkedin', 'instagram'])[(u + k) % 3 + 1] AS platform) AS p
CROSS JOIN LATERAL (SELECT timestamptz '2026-11-01 00:00:00+00' - d * interval '157 seconds' AS created_at) AS c;

-- One mapping per draft, to the trend its k picks (the trend source when it has one).
INSERT INTO trend_content_mapping (id, user_id, trend_id, content_draft_id, relevance_score, created_at)
SELECT md5('bench-mapping-' || d)::uuid,
       md5('bench-user-' || u)::uuid,
       md5('bench-trend-' || (u + 1000 * (k % 20)))::uuid,
       md5('bench-draft-' || d)::uuid,
       ((u * 3 + k * 13) % 100) / 100.0,
       timestamptz '2026-11-01 00:00:00+00' - d * interval '157 seconds'
FROM generate_series(1, 200000) AS d
CROSS JOIN LATERAL (SELECT (d - 1) % 1000 + 1 AS u, (d - 1) / 1000 AS k) AS o;

-- One performance row per published draft.
INSERT INTO content_performance (id, user_id, content_draft_id, platform_post_id, impressions, likes, shares,
                                 comments, clicks, saves, engagement_rate, reach, video_views,
                                 performance_score, vs_prediction_accuracy, last_updated_at, created_at)
SELECT md5('bench-performance-' || d)::uuid,
       md5('bench-user-' || u)::uuid,
       md5('bench-draft-' || d)::uuid,
       'post-' || d,
       1000 + (u * 31 + k * 97) % 90000,
       (u * 7 + k * 13) % 700,
       (u * 3 + k) % 60,
       (u * 5 + k) % 80,
       (u * 11 + k * 3) % 300,
       (u * 2 + k) % 50,
       ((u * 17 + k * 7) % 1000) / 10000.0,
       800 + (u * 29 + k * 89) % 70000,
       CASE WHEN (u + k) % 3 = 0 THEN (u * 19 + k * 7) % 50000 END,
       ((u * 23 + k * 11) % 10000) / 100.0,
       ((u * 41 + k) % 100) / 100.0,
       timestamptz '2026-11-01 00:00:00+00' - d * interval '157 seconds' + interval '3 days',
       timestamptz '2026-11-01 00:00:00+00' - d * interval '157 seconds' + interval '2 hours'
FROM generate_series(1, 200000) AS d
CROSS JOIN LATERAL (SELECT (d - 1) % 1000 + 1 AS u, (d - 1) / 1000 AS k) AS o
WHERE k % 2 = 0;

COMMIT;

VACUUM ANALYZE users, trend_insights, content_drafts, trend_content_mapping, content_performance;
