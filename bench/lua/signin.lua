-- Hosted sign-in form POST. Each post spends one pending authorization request; the harness
-- made them beforehand and each thread takes every n-th one. The user is the next of
-- `users`, or with `user_count` set (the scale scenario), a random one of `u0` .. `u<n-1>`.
function init(args)
  cursor = tid + 1
  turn = tid
  math.randomseed(2000 + tid)
end

function request()
  -- Out of pending requests: post one that cannot succeed, so it counts as an error.
  local id = pending[cursor] or "exhausted"
  cursor = cursor + threads_count
  local user
  if user_count then
    user = "u" .. math.random(0, user_count - 1)
  else
    turn = turn + 1
    user = users[(turn % #users) + 1]
  end
  return wrk.format("POST", login_path, form_headers(csrf_cookie),
    "csrf_token=" .. csrf .. "&request=" .. id .. "&username=" .. user .. "&password=" .. password)
end

function response(status, headers, body)
  expect_redirect(status, headers, body, "code=")
end
