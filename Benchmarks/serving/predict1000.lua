-- wrk -t2 -c4 -d10s --latency -s predict1000.lua http://127.0.0.1:8080/predict
-- One batch of 1,000 rows per request (deterministic pseudo-random values).
math.randomseed(1)
local rows = {}
for i = 1, 1000 do
  rows[i] = string.format('{"MedInc": %.4f, "HouseAge": %.1f, "AveRooms": %.6f, "AveBedrms": %.5f, "Population": %.1f, "AveOccup": %.6f, "Latitude": %.2f, "Longitude": %.2f}',
    0.5 + 14.5 * math.random(), math.random(1, 52), 2 + 8 * math.random(), 0.8 + 1.2 * math.random(),
    math.random(3, 5000), 1 + 5 * math.random(), 32 + 10 * math.random(), -124 + 10 * math.random())
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"instances": [' .. table.concat(rows, ", ") .. ']}'
