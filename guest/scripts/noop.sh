# noop: boots, says so, and powers off (shoji.script=noop). For tests that need
# only a guest that came up and went down, e.g. a memory dump at its power-off.
echo "guest: noop uptime=$(uptime_s)"
true
