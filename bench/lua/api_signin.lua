-- `InitiateAuth` with `USER_PASSWORD_AUTH` on the Cognito-compatible API. Each request signs
-- in the next of `users` (one user signing in from 8 connections at once would be held by
-- the throttle that counts attempts in flight), from a client address of its own.
function init(args)
  turn = tid
end

function request()
  turn = turn + 1
  local user = users[(turn % #users) + 1]
  local headers = { ["Content-Type"] = "application/x-amz-json-1.1",
                    ["X-Amz-Target"] = "AWSCognitoIdentityProviderService.InitiateAuth",
                    ["X-Forwarded-For"] = client_address() }
  return wrk.format("POST", "/", headers,
    '{"ClientId":"' .. client_id .. '","AuthFlow":"USER_PASSWORD_AUTH",' ..
    '"AuthParameters":{"USERNAME":"' .. user .. '","PASSWORD":"' .. api_password .. '"}}')
end

function response(status, headers, body)
  if status == 200 and string.find(body, "AccessToken", 1, true) then
    units = units + 1
  else
    fail(status, body)
  end
end
