"""The capture test's workload: one of each thing ebpf-capture must see, in a known order.

Run as `workload.py DIR PORT`: writes, appends, truncates, renames and unlinks files in DIR,
connects to the TCP listener on 127.0.0.1:PORT, sends a UDP datagram to 127.0.0.1:PORT, and
forks and execs a child (with AGENT_ID set and a secret-looking variable that must not be
recorded) that writes its own file. Prints nothing; exits 0.
"""
import os
import socket
import subprocess
import sys

d, port = sys.argv[1], int(sys.argv[2])
os.chdir(d)
with open("written.txt", "w") as f:  # relative: resolved against the cwd
    for _ in range(4):
        f.write("x" * 4096)
with open(os.path.join(d, "written.txt"), "a") as f:
    f.write("tail\n")
os.truncate("written.txt", 100)
os.rename("written.txt", "renamed.txt")
os.chmod("renamed.txt", 0o600)
os.unlink("renamed.txt")
s = socket.create_connection(("127.0.0.1", port))
s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"ping", ("127.0.0.1", port))
u.close()
env = dict(os.environ, AGENT_ID="agent-under-test", SOME_SECRET="hunter2-not-allowed")
# argv[1] after the script is $0: a planted credential that must reach no output unredacted.
token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
subprocess.run(["/bin/sh", "-c", "echo child > child.txt", token], env=env, check=True)
