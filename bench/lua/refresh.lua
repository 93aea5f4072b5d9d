-- Refresh-token grant. Tokens rotate, so each connection (one per thread) carries its own
-- chain: the token an answer returns is the one the next request spends.
function init(args)
  token = refresh_tokens[tid + 1]
end

function request()
  return wrk.format("POST", token_path, form_headers(nil),
    "grant_type=refresh_token&client_id=" .. client_id .. "&refresh_token=" .. token)
end

function response(status, headers, body)
  local new = status == 200 and string.match(body, '"refresh_token":"([^"]+)"')
  if new and string.find(body, '"id_token"', 1, true) then
    token = new
    units = units + 1
  else
    fail(status, body)
  end
end
