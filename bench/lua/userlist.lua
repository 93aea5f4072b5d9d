-- The admin user list filtered by email, for a random one of `user_count` seeded users.
function init(args)
  math.randomseed(1000 + tid)
end

function request()
  local n = math.random(0, user_count - 1)
  return wrk.format("GET", list_path .. "u" .. n .. "%40bench.example%22", admin_headers)
end

function response(status, headers, body)
  if status == 200 and string.find(body, "@bench.example", 1, true) then
    units = units + 1
  else
    fail(status, body)
  end
end
