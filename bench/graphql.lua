-- wrk script: POST /graphql for a random seeded user on every request.
--   BENCH_BODY   JSON body; "__USER__" is replaced by the user's id
--   BENCH_USERS  one "<user id> <access token> [<draft id>]" line per user; "__DRAFT__" in the
--                body is replaced by the draft id
--   BENCH_AUTH   "1": send "Authorization: Bearer <token>" (our server); else no header
-- Every request is built once per thread in init(), so the load generator spends no time
-- formatting during the run.
local requests = {}
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_BODY"), "r"))
  local template = f:read("*a"):gsub("%s+$", "")
  f:close()
  local auth = os.getenv("BENCH_AUTH") == "1"
  for line in io.lines(os.getenv("BENCH_USERS")) do
    local id, token, draft = line:match("^(%S+)%s+(%S+)%s*(%S*)")
    if id then
      local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
      if auth then
        headers["Authorization"] = "Bearer " .. token
      end
      local body = template:gsub("__USER__", id):gsub("__DRAFT__", draft)
      requests[#requests + 1] = wrk.format("POST", nil, headers, body)
    end
  end
  assert(#requests > 0, "no users in BENCH_USERS")
  math.randomseed(1000 + (thread_number or 0))
end

function request()
  return requests[math.random(#requests)]
end
