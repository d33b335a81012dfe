-- Shape 4: a user's 10 newest trend insights, each with its 5 newest drafts, in one statement.
\set u random(1, 1000)
SELECT t.id, t.trend_topic, d.id AS draft_id, d.content, d.created_at
FROM (SELECT id, trend_topic, created_at
      FROM trend_insights
      WHERE user_id = md5('bench-user-' || :u::text)::uuid
      ORDER BY created_at DESC NULLS LAST, id
      LIMIT 10) AS t
LEFT JOIN LATERAL (SELECT id, content, created_at
                   FROM content_drafts
                   WHERE trend_source_id = t.id
                   ORDER BY created_at DESC NULLS LAST, id
                   LIMIT 5) AS d ON true
ORDER BY t.created_at DESC NULLS LAST, t.id, d.created_at DESC NULLS LAST, d.id;
