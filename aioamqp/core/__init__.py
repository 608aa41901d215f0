"""The protocol's state, apart from any I/O: nothing here imports asyncio or touches a socket.

Each unit is driven with decoded methods or bytes and answers with what happened; the asyncio
shell (protocol.py, channel.py) owns the transport, the futures and the timers.
"""
