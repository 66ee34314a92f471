-- wrk script for `decisions_load` (LOAD_TOOL=wrk): POSTs the request bodies listed one per line
-- in args[1], in turn, to /v1/decisions, with the runtime token's `Authorization` header from
-- WRK_AUTHORIZATION (`Bearer ...`). WRK_PAUSE_MS paces each connection: it waits that many
-- milliseconds before each request (the soak's way to hold a rate below the maximum). `delay`
-- is defined only then, because wrk takes a slower timer path for every request when it exists.
local requests = {}
local next_index = 1

function init(args)
  local headers = { ["Content-Type"] = "application/json" }
  local authorization = os.getenv("WRK_AUTHORIZATION")
  if authorization and authorization ~= "" then
    headers["Authorization"] = authorization
  end
  for line in io.lines(args[1]) do
    requests[#requests + 1] = wrk.format("POST", "/v1/decisions", headers, line)
  end
  -- Spread the threads over the bodies so they do not send the same sequence.
  next_index = (math.random(#requests) - 1) % #requests + 1
end

function request()
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end

local pause = tonumber(os.getenv("WRK_PAUSE_MS") or "")
if pause and pause > 0 then
  function delay()
    return pause
  end
end
