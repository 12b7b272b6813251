# 原文「错误处理」一节的写法：bind 失败时只打印一行，程序接着往下走。what_the_system_does.rs 运行它。
# 用法：python3 unbound_listen.py HOST PORT（PORT 已经被别的程序占着，bind 会失败）
import socket
import sys

server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server_address = (sys.argv[1], int(sys.argv[2]))
# ANCHOR: unbound
try:
    server_socket.bind(server_address)
except socket.error as e:
    print(f'绑定地址时出错: {e}', flush=True)
# 原文接下来就是 listen 和 accept。Linux 上，没有绑定成功的 Socket 在 listen 时
# 被悄悄绑定到 0.0.0.0 的一个随机端口：不报错，而且监听的是所有网卡。
server_socket.listen(5)
print('实际监听的地址:', '%s:%d' % server_socket.getsockname(), flush=True)
connection, client_address = server_socket.accept()   # 等着，直到有人碰巧连上这个端口
print(f'接受了来自 {client_address[0]} 的连接', flush=True)
# ANCHOR_END: unbound
connection.close()
