# 按 Ctrl-C（SIGINT）时 Python 做什么：python_vs_rust.rs 的 Ctrl-C 一节运行它。
# 用法：python3 ctrl_c_server.py，然后按 Ctrl-C
import socket

server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server_socket.bind(('127.0.0.1', 0))
server_socket.listen(5)
# ANCHOR: ctrl_c
try:
    print('等待客户端连接...', '%s:%d' % server_socket.getsockname(), flush=True)
    server_socket.accept()   # Ctrl-C 在这里变成 KeyboardInterrupt 异常
finally:
    print('finally 运行了：可以在这里清理', flush=True)
# ANCHOR_END: ctrl_c
