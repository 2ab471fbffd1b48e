"""The fake services of the demo practice: one module per protocol, all asyncio.

Each fake is an ``async def handler(reader, writer)`` (TCP) that speaks enough of the
real protocol for a probe written against the real server to recognise it, reads a
bounded number of bytes, and closes on anything it does not understand. The handlers
never raise: :func:`rempart.lab.fakes.common.guarded` wraps them.
"""
