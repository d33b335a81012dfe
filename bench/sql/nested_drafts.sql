-- Shape 2: the same 20 drafts with their trend and their performance rows, in one statement.
\set u random(1, 1000)
SELECT d.id, d.content, d.platform, d.status, d.created_at, t.id AS trend_id, t.trend_topic,
       (SELECT coalesce(json_agg(json_build_object('likes', p.likes, 'impressions', p.impressions)), '[]')
        FROM content_performance p
        WHERE p.content_draft_id = d.id) AS performance
FROM (SELECT id, content, platform, status, created_at, trend_source_id
      FROM content_drafts
      WHERE user_id = md5('bench-user-' || :u::text)::uuid
      ORDER BY created_at DESC NULLS LAST, id
      LIMIT 20) AS d
LEFT JOIN trend_insights t ON t.id = d.trend_source_id
ORDER BY d.created_at DESC NULLS LAST, d.id;
