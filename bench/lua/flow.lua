-- A complete authorization-code flow with PKCE, as a browser and a public client make it:
-- authorize -> sign-in form POST -> code exchange. `units` counts finished flows.
function init(args)
  step = "authorize"
  turn = tid
end

function request()
  if step == "authorize" then
    -- The sign-in that follows belongs to the browser that asked: send its cookie.
    return wrk.format("GET", authorize_path,
      { ["Cookie"] = csrf_cookie, ["X-Forwarded-For"] = client_address() })
  elseif step == "login" then
    turn = turn + 1
    local user = users[(turn % #users) + 1]
    return wrk.format("POST", login_path, form_headers(csrf_cookie),
      "csrf_token=" .. csrf .. "&request=" .. request_id .. "&username=" .. user .. "&password=" .. password)
  else
    return wrk.format("POST", token_path, form_headers(nil),
      "grant_type=authorization_code&client_id=" .. client_id .. "&code=" .. code ..
      "&redirect_uri=" .. redirect_uri .. "&code_verifier=" .. verifier)
  end
end

function response(status, headers, body)
  local loc = header(headers, "location") or ""
  if step == "authorize" then
    request_id = status == 303 and string.match(loc, "[?&]request=([^&]+)")
    if request_id then step = "login" else fail(status, body) end
  elseif step == "login" then
    code = status == 303 and string.match(loc, "[?&]code=([^&]+)")
    if code then step = "token" else fail(status, body); step = "authorize" end
  else
    if status == 200 and string.find(body, '"id_token"', 1, true) then
      units = units + 1
    else
      fail(status, body)
    end
    step = "authorize"
  end
end
