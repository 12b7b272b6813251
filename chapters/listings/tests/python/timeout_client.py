# 对方一直不说话时，读超时是什么样的异常：python_vs_rust.rs 的超时一节运行它。
# 用法：python3 timeout_client.py HOST PORT
import socket
import sys

client_socket = socket.create_connection((sys.argv[1], int(sys.argv[2])))
# ANCHOR: timeout
client_socket.settimeout(0.2)
try:
    client_socket.recv(1024)
except socket.timeout as e:   # Python 3.10 起，socket.timeout 就是内置的 TimeoutError
    print(type(e).__name__, e, isinstance(e, socket.timeout))
# ANCHOR_END: timeout
client_socket.close()
