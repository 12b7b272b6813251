# 一个被强行结束（kill -9、任务管理器、崩溃）的程序：what_the_system_does.rs 运行它。
# 用法：python3 killed_client.py HOST PORT。连上之后什么也不读，等着被结束。
import select
import socket
import sys
import threading

client_socket = socket.create_connection((sys.argv[1], int(sys.argv[2])))
print('已连接', '%s:%d' % client_socket.getsockname(), flush=True)
# 等到有数据到达（或者对方关闭），但一个字节也不读：数据留在接收缓冲区里。
select.select([client_socket], [], [])
print('有数据到了，不读', flush=True)
threading.Event().wait()   # 一直等到被结束
