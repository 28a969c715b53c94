"""The Lua scripts of a shared world (stores/redis.py): each runs atomically in Redis.

KEYS and ARGV are documented where the scripts are called (RedisStore, AsyncRedis).
"""

# gap(stream, last): 1 when the batch `last` is no longer on the stream (it was trimmed)
GAP = """
local function gap(stream, last)
  if last == '0-0' or #redis.call('XRANGE', stream, last, last) > 0 then return 0 end
  return 1
end
"""
# acquire: the lock if free (or held by a process whose liveness key ARGV[5]..owner lapsed), and
# in the same step the batches committed after ARGV[3] (and, when ARGV[4] is 1, the next journal
# number)
ACQUIRE = (
    GAP
    + """
local got = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if not got then  -- held: by a live process, or by one that died holding it (its lease goes too)
  local holder = redis.call('GET', KEYS[1])
  local owner = holder and string.match(holder, '^([^:]+):')
  if owner and redis.call('EXISTS', ARGV[5] .. owner) == 0 then
    got = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  end
end
if got then
  local seq = 0
  if ARGV[4] == '1' then seq = redis.call('INCR', KEYS[3]) end
  return {1, redis.call('XRANGE', KEYS[2], '(' .. ARGV[3], '+'), seq, gap(KEYS[2], ARGV[3])}
end
return {0, {}, 0, 0}
"""
)
# arrive (a read): the batches committed after ARGV[1], and the next journal number if asked
ARRIVE = (
    GAP
    + """
local seq = 0
if ARGV[2] == '1' then seq = redis.call('INCR', KEYS[2]) end
return {redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+'), seq, gap(KEYS[1], ARGV[1])}
"""
)
# commit: only while the lock is ours; rows into the hashes, the batch onto the stream
COMMIT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('NOLOCK the lock is no longer held by this process')
end
local i = 4
local nclear = tonumber(ARGV[i]); i = i + 1
for _ = 1, nclear do redis.call('DEL', ARGV[i]); i = i + 1 end
local ndel = tonumber(ARGV[i]); i = i + 1
for _ = 1, ndel do redis.call('HDEL', ARGV[i], ARGV[i + 1]); i = i + 2 end
local nput = tonumber(ARGV[i]); i = i + 1
for _ = 1, nput do redis.call('HSET', ARGV[i], ARGV[i + 1], ARGV[i + 2]); i = i + 3 end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'b', ARGV[i])
if ARGV[2] == '1' then redis.call('DEL', KEYS[1]) end
return id
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
