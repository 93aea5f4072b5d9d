-- Sign-in at scale: like signin.lua, but the user is a random one of the bulk-seeded users.
function init(args)
  cursor = tid + 1
  math.randomseed(2000 + tid)
end

function request()
  local id = pending[cursor] or "exhausted"
  cursor = cursor + threads_count
  local n = math.random(0, user_count - 1)
  return wrk.format("POST", login_path, form_headers(csrf_cookie),
    "csrf_token=" .. csrf .. "&request=" .. id .. "&username=u" .. n .. "&password=" .. password)
end

function response(status, headers, body)
  local loc = header(headers, "location")
  if status == 303 and loc and string.find(loc, "code=", 1, true) then
    units = units + 1
  else
    fail(status, body)
  end
end
