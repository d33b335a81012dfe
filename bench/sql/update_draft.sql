-- Shape 5: change one draft's content (the user's newest seeded draft), guarded by its owner.
\set u random(1, 1000)
UPDATE content_drafts SET content = 'Benchmark edit: fewer meetings, a clear owner for every decision.'
WHERE id = md5('bench-draft-' || :u::text)::uuid AND user_id = md5('bench-user-' || :u::text)::uuid
RETURNING id, content;
