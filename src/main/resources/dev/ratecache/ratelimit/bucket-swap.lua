-- Compare-and-swap of one Bucket4j bucket state (OneRoundTripBuckets).
--
-- KEYS[1]: the bucket. ARGV[1]: the state expected (ignored when ARGV[4] is 1), ARGV[2]: the new
-- state, ARGV[3]: its TTL in ms, ARGV[4]: 1 if the bucket must not exist yet.
-- Returns 1 if the new state was written, {0, current} ({0} when absent) on a mismatch.
--
-- With ARGV[5], a mismatch is decided here, as Bucket4j decides it, from what the bucket holds.
-- ARGV[5] is one argument (read only on a mismatch, so a swap that matches pays nothing for it),
-- comma-separated integers: requests to decide, one token each; the decision's time in
-- nanoseconds as high and low 32 bits; the offset of Bucket4j's state array (three longs per
-- limit: last refill time, tokens, rounding error) in the serialized state; the number of limits;
-- the offset of the consumed-tokens counter; ms kept after a full refill; then per limit:
-- capacity, refill period ns, refill tokens, 1 if refilled by intervals.
-- Returns {2, current, new state, admitted, ttl} when it wrote, {3, current} when every request
-- was rejected (nothing written, as Bucket4j writes nothing), or {0, current} when the bucket's
-- shape differs from the new state's or a number lies outside what is computed here (a bucket
-- idle for 52 days or more, a wait of 104 days or more): then the caller decides, as without
-- these arguments. Lua's numbers are doubles, exact to 2^53; the products Bucket4j computes in
-- 64 bits (refill tokens x nanoseconds, refill period x missing tokens: a daily quota passes
-- 2^53 after hours) are computed exactly on 24-bit limbs, and Bucket4j's own fallbacks past 2^63
-- (in doubles) are followed as it follows them. The caller checks every decision made here
-- against Bucket4j's own before it uses it.
local current = redis.call('get', KEYS[1])
local matches
if ARGV[4] == '1' then matches = (current == false) else matches = (current == ARGV[1]) end
if matches then
  redis.call('set', KEYS[1], ARGV[2], 'px', ARGV[3])
  return 1
end
if current == false then return {0} end
if ARGV[5] == nil then return {0, current} end

local P32 = 4294967296
local EXACT = 9007199254740992
local v = {}
for x in string.gmatch(ARGV[5], '[^,]+') do v[#v + 1] = tonumber(x) end
local n, nowHi, nowLo, s0, k, c0, keepMs = v[1], v[2], v[3], v[4], v[5], v[6], v[7]
local mine = ARGV[2]
local sEnd = s0 + 24 * k
if #current ~= #mine or current:sub(1, s0) ~= mine:sub(1, s0)
    or current:sub(sEnd + 1, c0) ~= mine:sub(sEnd + 1, c0)
    or current:sub(c0 + 9) ~= mine:sub(c0 + 9) then
  return {0, current}
end

local function pair(pos)
  local hi, lo = struct.unpack('>i4I4', current, pos + 1)
  return hi, lo
end
local function small(pos)
  local hi, lo = pair(pos)
  if hi >= 1048576 or hi < 0 then return nil end
  return hi * P32 + lo
end
local function pack(hi, lo)
  return struct.pack('>i4I4', hi, lo)
end
local function packSmall(v)
  local hi = math.floor(v / P32)
  return pack(hi, v - hi * P32)
end
-- a = q * p + r with 0 <= r < p, exactly (a, p < 2^53, a >= 0)
local function divmod(a, p)
  local q = math.floor(a / p)
  local r = a - q * p
  if r < 0 then q = q - 1; r = r + p elseif r >= p then q = q + 1; r = r - p end
  return q, r
end

-- Exact integers to 2^72 as three 24-bit limbs, least significant first, passed as three
-- values (no tables: nothing for the collector); every step below stays under 2^53, so every
-- double operation is exact. Made on first need (exactIntegers()): most decisions never need
-- them, and defining them on every call cost each call about 0.7 us of Redis CPU.
local B = 16777216
local TOP = 9223372036854775808 -- 2^63: Java's long overflows here
local split, normal, times, plus, bigDivmod
local function exactIntegers()
  if bigDivmod then return end
  split = function(a) -- 0 <= a < 2^72, an integer (exact even past 2^53: powers of two)
    local hi = math.floor(a / 281474976710656) -- 2^48
    a = a - hi * 281474976710656
    local mid = math.floor(a / B)
    return a - mid * B, mid, hi
  end
  -- l1, l2, l3 with l1 of any sign (|l1| < 2^53), carried into limbs in [0, 2^24); nil when the
  -- value reaches 2^63, where Java's long turns negative.
  normal = function(l1, l2, l3)
    local c = math.floor(l1 / B)
    l1 = l1 - c * B
    l2 = l2 + c
    c = math.floor(l2 / B)
    l2 = l2 - c * B
    l3 = l3 + c
    if l3 >= 32768 then return nil end
    return l1, l2, l3
  end
  -- a * b for integers 0 <= a, b < 2^53; nil when it reaches Java's Long.MAX_VALUE (2^63 - 1),
  -- where Bucket4j's multiplyExactOrReturnMaxValue gives up and computes in doubles instead.
  times = function(a, b)
    local a1, a2, a3 = split(a)
    local b1, b2, b3 = split(b)
    if a3 * b2 + a2 * b3 + a3 * b3 > 0 then return nil end -- 2^72 or more
    local r1, r2, r3 = a1 * b1, a1 * b2 + a2 * b1, a1 * b3 + a2 * b2 + a3 * b1
    local l1, l2, l3 = normal(r1, r2, r3)
    if l1 == nil or (l3 == 32767 and l2 == B - 1 and l1 == B - 1) then return nil end
    return l1, l2, l3
  end
  -- l + v (|v| < 2^52, the result >= 0); nil if it reaches 2^63.
  plus = function(l1, l2, l3, v)
    return normal(l1 + v, l2, l3)
  end
  -- l = q * p + r exactly (l < 2^63, 0 < p < 2^52): long division in k-bit digits, k the widest
  -- of 24, 12, 8, 6, 4, 3, 2, 1 with p * 2^k <= 2^53, so that every partial remainder times 2^k
  -- plus a digit stays exact (three steps for a token count, twelve for a day in nanoseconds);
  -- q is exact only below 2^53 (callers check).
  bigDivmod = function(l1, l2, l3, p)
    local k = 24
    while p * 2 ^ k > EXACT do
      repeat k = k - 1 until 24 % k == 0
    end
    local base, top = 2 ^ k, 2 ^ (24 - k)
    local q, r = 0, 0
    for i = 3, 1, -1 do
      local limb = l1
      if i == 3 then limb = l3 elseif i == 2 then limb = l2 end
      local scale = top
      while scale >= 1 do
        local digit = math.floor(limb / scale)
        limb = limb - digit * scale
        local x = r * base + digit -- < p * 2^k <= 2^53: exact
        local d = math.floor(x / p)
        r = x - d * p
        if r < 0 then d = d - 1; r = r + p elseif r >= p then d = d + 1; r = r - p end
        q = q * base + d
        scale = scale / base
      end
    end
    return q, r
  end
end

local limits = {}
for j = 0, k - 1 do
  local a = 8 + 4 * j
  local lastHi, lastLo = pair(s0 + 24 * j)
  local size, err = small(s0 + 24 * j + 8), small(s0 + 24 * j + 16)
  if size == nil or err == nil then return {0, current} end
  limits[j + 1] = {cap = v[a], period = v[a + 1], tokens = v[a + 2], interval = v[a + 3] == 1,
    lastHi = lastHi, lastLo = lastLo, size = size, err = err}
end

-- Bucket4j's BucketState64BitsInteger.refill, in exact integers; false if it cannot be exact.
local function refill(x)
  if math.abs(nowHi - x.lastHi) >= 1048576 then return false end
  local d = (nowHi - x.lastHi) * P32 + (nowLo - x.lastLo)
  if d <= 0 then return true end
  local tHi, tLo = nowHi, nowLo
  if x.interval then
    local _, corr = divmod(d, x.period)
    d = d - corr
    if d <= 0 then return true end
    local t = nowLo - corr
    local carry = math.floor(t / P32)
    tHi, tLo = nowHi + carry, t - carry * P32
  end
  x.lastHi, x.lastLo = tHi, tLo
  if x.size >= x.cap then return true end
  local newSize = x.size
  if d > x.period then
    local elapsed, rest = divmod(d, x.period)
    local calc = elapsed * x.tokens
    if calc >= EXACT or newSize + calc > x.cap then
      x.size, x.err = x.cap, 0
      return true
    end
    newSize = newSize + calc
    d = rest
  end
  -- As a double, this is below 2^53 exactly when the integer is (rounding is monotonic).
  local divided = x.tokens * d + x.err
  local err = divided
  if divided < EXACT then
    local calc, rem = divmod(divided, x.period)
    if calc ~= 0 then
      newSize = newSize + calc
      err = rem
    end
  else
    exactIntegers()
    local l1, l2, l3 = times(x.tokens, d)
    if l1 ~= nil then l1, l2, l3 = plus(l1, l2, l3, x.err) end
    if l1 == nil then
      -- Bucket4j: past Long.MAX_VALUE it refills (long) (d / period * tokens), in doubles.
      newSize = newSize + math.floor(d / x.period * x.tokens)
      err = 0
    else
      local calc, rem = bigDivmod(l1, l2, l3, x.period) -- calc <= tokens: exact
      newSize = newSize + calc
      err = rem
    end
  end
  if newSize >= x.cap then
    x.size, x.err = x.cap, 0
  else
    x.size, x.err = newSize, err
  end
  return true
end

-- Bucket4j's calculateFullRefillingTime for one limit; nil if it cannot be exact.
local function fullRefill(x)
  if x.size >= x.cap then return 0 end
  local deficit = x.cap - x.size
  if x.interval then
    local wait = (x.lastHi - nowHi) * P32 + (x.lastLo - nowLo) + x.period
    if deficit <= x.tokens then return wait end
    deficit = deficit - x.tokens
    if deficit < x.tokens then return wait + x.period end
    local q, r = divmod(deficit, x.tokens)
    if r ~= 0 then q = q + 1 end
    if q * x.period >= EXACT then return nil end
    return q * x.period + wait
  end
  local divided = x.period * deficit
  if divided < EXACT then
    return (divmod(divided - x.err, x.tokens))
  end
  exactIntegers()
  local l1, l2, l3 = times(x.period, deficit)
  if l1 == nil then
    -- Bucket4j: past Long.MAX_VALUE it waits (long) (deficit / tokens * period), in doubles.
    return math.floor(deficit / x.tokens * x.period)
  end
  l1, l2, l3 = plus(l1, l2, l3, -x.err) -- never below 0: err < period <= the product
  local q = bigDivmod(l1, l2, l3, x.tokens)
  if q >= EXACT then return nil end
  return q
end

for _, x in ipairs(limits) do
  if not refill(x) then return {0, current} end
end
local admitted = 0
for _ = 1, n do
  local available = limits[1].size
  for j = 2, k do
    if limits[j].size < available then available = limits[j].size end
  end
  if available >= 1 then
    for j = 1, k do limits[j].size = limits[j].size - 1 end
    admitted = admitted + 1
  end
end
if admitted == 0 then return {3, current} end

local full = 0
for _, x in ipairs(limits) do
  local f = fullRefill(x)
  if f == nil then return {0, current} end
  if f > full then full = f end
end
-- Bucket4j: full refill in ms (ns / 10^6, a long division), plus the time kept after it.
local ttl
if full >= TOP then
  ttl = 9223372036854 + keepMs -- (long) saturates at Long.MAX_VALUE
elseif full >= EXACT then
  exactIntegers()
  local l1, l2, l3 = split(full)
  ttl = bigDivmod(l1, l2, l3, 1000000) + keepMs
else
  ttl = divmod(full, 1000000) + keepMs
end
if ttl <= 0 then ttl = 1 end

local consumedHi, consumedLo = pair(c0)
local sum = consumedLo + admitted
local carry = math.floor(sum / P32)
local parts = {current:sub(1, s0)}
for _, x in ipairs(limits) do
  parts[#parts + 1] = pack(x.lastHi, x.lastLo) .. packSmall(x.size) .. packSmall(x.err)
end
parts[#parts + 1] = current:sub(sEnd + 1, c0)
parts[#parts + 1] = pack(consumedHi + carry, sum - carry * P32)
parts[#parts + 1] = current:sub(c0 + 9)
local written = table.concat(parts)
redis.call('set', KEYS[1], written, 'px', ttl)
return {2, current, written, admitted, ttl}
