-- Shape 3: create a draft.
\set u random(1, 1000)
INSERT INTO content_drafts (user_id, platform, content_type, content)
VALUES (md5('bench-user-' || :u::text)::uuid, 'twitter', 'single_tweet', 'Benchmark draft: most teams do not need another tool.')
RETURNING id;
