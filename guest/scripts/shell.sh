# shell: an interactive busybox shell on the console (shoji.script=shell);
# leaving it (exit, Ctrl-D) powers the guest off.
echo "guest: shell ready (programs: physmem edu-dma blkverify; scripts: /etc/shoji; exit powers off)"
export PS1='shoji-guest:\w# '
# setsid + cttyhack: a new session with the console as its controlling
# terminal, so that Ctrl-C and job control work.
setsid cttyhack sh
true
