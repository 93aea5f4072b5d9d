-- Hosted sign-in form POST. Each post spends one pending authorization request; the harness
-- made them beforehand and each thread takes every n-th one.
function init(args)
  cursor = tid + 1
  turn = tid
end

function request()
  local id = pending[cursor]
  if id == nil then
    -- Out of pending requests: count it, and post one that cannot succeed.
    id = "exhausted"
  end
  cursor = cursor + threads_count
  turn = turn + 1
  local user = users[(turn % #users) + 1]
  return wrk.format("POST", login_path, form_headers(csrf_cookie),
    "csrf_token=" .. csrf .. "&request=" .. id .. "&username=" .. user .. "&password=" .. password)
end

function response(status, headers, body)
  local loc = header(headers, "location")
  if status == 303 and loc and string.find(loc, "code=", 1, true) then
    units = units + 1
  else
    fail(status, body)
  end
end
