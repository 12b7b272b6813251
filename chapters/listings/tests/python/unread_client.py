# 服务器没读完就关闭连接时，客户端看到什么：python_vs_rust.rs 的复位一节运行它。
# 用法：python3 unread_client.py HOST PORT
import socket
import sys

client_socket = socket.create_connection((sys.argv[1], int(sys.argv[2])))
# ANCHOR: unread
client_socket.sendall(b'x' * 2000)   # 服务器只读其中一部分，然后关闭
while True:
    try:
        data = client_socket.recv(1024)
    except ConnectionResetError as e:
        print('ConnectionResetError:', e)
        break
    if not data:
        print('对方正常关闭了连接')
        break
    print('收到:', data.decode())
# ANCHOR_END: unread
client_socket.close()
