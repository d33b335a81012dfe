-- Shape 1: a user's latest 20 drafts.
\set u random(1, 1000)
SELECT id, content, platform, status, created_at
FROM content_drafts
WHERE user_id = md5('bench-user-' || :u::text)::uuid
ORDER BY created_at DESC NULLS LAST, id
LIMIT 20;
