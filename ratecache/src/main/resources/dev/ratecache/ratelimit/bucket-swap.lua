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

-- Exact integers to 2^72 as three 24-bit limbs, least significant first (every step below stays
-- under 2^53, so every double operation is exact).
local B = 16777216
local TOP = 9223372036854775808 -- 2^63: Java's long overflows here
local function carry(l)
  for i = 1, #l - 1 do
    local c = math.floor(l[i] / B)
    l[i] = l[i] - c * B
    l[i + 1] = l[i + 1] + c
  end
  return l
end
local function limbs(a) -- a: an integer, 0 <= a < 2^72 (exact even past 2^53: powers of two)
  local l = {}
  for i = 1, 3 do
    local q = math.floor(a / B)
    l[i] = a - q * B
    a = q
  end
  return l
end
-- a * b for integers 0 <= a, b < 2^53; nil when it reaches Java's Long.MAX_VALUE (2^63 - 1),
-- where Bucket4j's multiplyExactOrReturnMaxValue gives up and computes in doubles instead.
local function times(a, b)
  local x, y, r = limbs(a), limbs(b), {0, 0, 0, 0, 0, 0}
  for i = 1, 3 do
    for j = 1, 3 do r[i + j - 1] = r[i + j - 1] + x[i] * y[j] end
  end
  carry(r)
  if r[4] + r[5] + r[6] > 0 or r[3] >= 32768
      or (r[3] == 32767 and r[2] == B - 1 and r[1] == B - 1) then
    return nil
  end
  return {r[1], r[2], r[3]}
end
-- l + v (|v| < 2^52, the result >= 0); nil if it reaches 2^63 (Java's long turns negative).
local function plus(l, v)
  local r = carry({l[1] + v, l[2], l[3], 0})
  if r[4] > 0 or r[3] >= 32768 then return nil end
  return {r[1], r[2], r[3]}
end
-- l = q * p + r exactly, bit by bit (l < 2^63, 0 < p < 2^52, so 2r + 1 < 2^53); q is exact
-- only below 2^53 (callers check).
local BIT = {}
for b = 0, 23 do BIT[b] = 2 ^ b end
local function bigDivmod(l, p)
  local q, r = 0, 0
  for i = 3, 1, -1 do
    local limb = l[i]
    for b = 23, 0, -1 do
      local bit = 0
      if limb >= BIT[b] then bit = 1; limb = limb - BIT[b] end
      r = r * 2 + bit
      q = q * 2
      if r >= p then r = r - p; q = q + 1 end
    end
  end
  return q, r
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
    local product = times(x.tokens, d)
    local exact = product and plus(product, x.err)
    if exact == nil then
      -- Bucket4j: past Long.MAX_VALUE it refills (long) (d / period * tokens), in doubles.
      newSize = newSize + math.floor(d / x.period * x.tokens)
      err = 0
    else
      local calc, rem = bigDivmod(exact, x.period) -- calc <= tokens: exact
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
  local product = times(x.period, deficit)
  if product == nil then
    -- Bucket4j: past Long.MAX_VALUE it waits (long) (deficit / tokens * period), in doubles.
    return math.floor(deficit / x.tokens * x.period)
  end
  local q = bigDivmod(plus(product, -x.err), x.tokens)
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
  ttl = bigDivmod(limbs(full), 1000000) + keepMs
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
