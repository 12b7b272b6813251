# 对方关闭连接之后，recv 返回什么：python_vs_rust.rs 的 EOF 一节运行它。
# 用法：python3 eof_client.py HOST PORT（对方是 tcp-server 这样回复之后就关闭的服务器）
import socket
import sys

client_socket = socket.create_connection((sys.argv[1], int(sys.argv[2])))
client_socket.sendall('你好，服务器！'.encode())
print('收到:', client_socket.recv(1024).decode())
# ANCHOR: eof
# 服务器回复之后关闭了连接。recv 不抛异常，返回空的 bytes：
data = client_socket.recv(1024)
print('再读一次:', data)
# 再读也一样：关闭了就一直是 b''，不会变成错误，也不会阻塞。
print('再读一次:', client_socket.recv(1024))
if not data:
    print('对方关闭了连接')
# ANCHOR_END: eof
client_socket.close()
