"""The protocol's state, apart from any I/O: nothing here imports an event loop or touches a
socket.

Each unit is driven with bytes or decoded methods and answers with what happened; the shell
(protocol.py, channel.py) owns the transport, the futures and the timers.
"""
