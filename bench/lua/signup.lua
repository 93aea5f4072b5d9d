-- Sign-up form POST: a new username and email every time.
function init(args)
  serial = 0
end

function request()
  serial = serial + 1
  local name = run_tag .. "t" .. tid .. "n" .. serial
  return wrk.format("POST", signup_path, form_headers(csrf_cookie),
    "csrf_token=" .. csrf .. "&username=" .. name .. "&email=" .. name .. "%40bench.example" ..
    "&password=" .. password)
end

function response(status, headers, body)
  expect_redirect(status, headers, body, "/confirm")
end
