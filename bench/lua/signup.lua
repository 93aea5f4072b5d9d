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
  local loc = header(headers, "location")
  if status == 303 and loc and string.find(loc, "/confirm", 1, true) then
    units = units + 1
  else
    fail(status, body)
  end
end
