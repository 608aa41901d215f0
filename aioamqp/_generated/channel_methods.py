# generated from spec/amqp0-9-1.xml by codegen; do not edit
"""Channel coroutines for the client-sent methods, with aioamqp's argument names and order."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Mapping

from . import methods


class ChannelMethods:
    """Builds each method and hands it to the channel: _rpc for a synchronous one (a method
    object, for its replies), _write_payload for the others (just its encoded payload)."""

    __slots__ = ()

    if TYPE_CHECKING:

        async def _rpc(
            self, method: methods.Method, *, no_wait: bool = False, timeout: float | None = None
        ) -> Any: ...

        async def _write_payload(self, payload: bytes, name: str) -> None: ...

    async def open(
        self,
        timeout: float | None = None,
    ) -> bool:
        """Send channel.open and wait for channel.open-ok.

        Returns True.

        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.ChannelOpen()
        await self._rpc(method, timeout=timeout)
        return True

    async def flow(
        self,
        active: bool = False,
        timeout: float | None = None,
    ) -> dict[str, Any] | None:
        """Send channel.flow and wait for channel.flow-ok.

        Returns the reply's fields as a dict (active).

        :param active: spec field ``active``: a flag
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.ChannelFlow(active)
        reply = await self._rpc(method, timeout=timeout)
        if reply is None:
            return None
        return {"active": reply.active}

    async def close(
        self,
        reply_code: int = 0,
        reply_text: str = "",
        class_id: int = 0,
        method_id: int = 0,
        timeout: float | None = None,
    ) -> bool:
        """Send channel.close and wait for channel.close-ok.

        Returns True.

        :param reply_code: spec field ``reply-code``, domain ``reply-code``: an integer 0..65535
        :param reply_text: spec field ``reply-text``, domain ``reply-text``: a string of up to 255 UTF-8 bytes
        :param class_id: spec field ``class-id``, domain ``class-id``: an integer 0..65535
        :param method_id: spec field ``method-id``, domain ``method-id``: an integer 0..65535
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.ChannelClose(reply_code, reply_text, class_id, method_id)
        await self._rpc(method, timeout=timeout)
        return True

    async def exchange_declare(
        self,
        exchange_name: str = "",
        type_name: str = "direct",
        passive: bool = False,
        durable: bool = False,
        auto_delete: bool = False,
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        *,
        internal: bool = False,
    ) -> bool | None:
        """Send exchange.declare and wait for exchange.declare-ok.

        Returns True, or None with no_wait.

        :param exchange_name: spec field ``exchange``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
        :param type_name: spec field ``type``: a string of up to 255 UTF-8 bytes
        :param passive: spec field ``passive``: a flag
        :param durable: spec field ``durable``: a flag
        :param auto_delete: spec field ``auto-delete``: a flag
        :param internal: spec field ``internal``: a flag
        :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
        :param arguments: spec field ``arguments``: a field table (dict)
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.ExchangeDeclare(
            exchange_name, type_name, passive, durable, auto_delete, internal, no_wait, arguments
        )
        reply = await self._rpc(method, no_wait=no_wait, timeout=timeout)
        return None if reply is None else True

    async def exchange_delete(
        self,
        exchange_name: str = "",
        if_unused: bool = False,
        no_wait: bool = False,
        timeout: float | None = None,
    ) -> bool | None:
        """Send exchange.delete and wait for exchange.delete-ok.

        Returns True, or None with no_wait.

        :param exchange_name: spec field ``exchange``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
        :param if_unused: spec field ``if-unused``: a flag
        :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.ExchangeDelete(exchange_name, if_unused, no_wait)
        reply = await self._rpc(method, no_wait=no_wait, timeout=timeout)
        return None if reply is None else True

    async def exchange_bind(
        self,
        exchange_destination: str = "",
        exchange_source: str = "",
        routing_key: str = "",
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> bool | None:
        """Send exchange.bind and wait for exchange.bind-ok.

        Returns True, or None with no_wait.

        :param exchange_destination: spec field ``destination``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
        :param exchange_source: spec field ``source``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
        :param routing_key: spec field ``routing-key``: a string of up to 255 UTF-8 bytes
        :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
        :param arguments: spec field ``arguments``: a field table (dict)
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.ExchangeBind(
            exchange_destination, exchange_source, routing_key, no_wait, arguments
        )
        reply = await self._rpc(method, no_wait=no_wait, timeout=timeout)
        return None if reply is None else True

    async def exchange_unbind(
        self,
        exchange_destination: str = "",
        exchange_source: str = "",
        routing_key: str = "",
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> bool | None:
        """Send exchange.unbind and wait for exchange.unbind-ok.

        Returns True, or None with no_wait.

        :param exchange_destination: spec field ``destination``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
        :param exchange_source: spec field ``source``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
        :param routing_key: spec field ``routing-key``: a string of up to 255 UTF-8 bytes
        :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
        :param arguments: spec field ``arguments``: a field table (dict)
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.ExchangeUnbind(
            exchange_destination, exchange_source, routing_key, no_wait, arguments
        )
        reply = await self._rpc(method, no_wait=no_wait, timeout=timeout)
        return None if reply is None else True

    async def queue_declare(
        self,
        queue_name: str = "",
        passive: bool = False,
        durable: bool = False,
        exclusive: bool = False,
        auto_delete: bool = False,
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any] | None:
        """Send queue.declare and wait for queue.declare-ok.

        Returns the reply's fields as a dict (queue, message_count, consumer_count), or None with no_wait.

        :param queue_name: spec field ``queue``, domain ``queue-name``: a string of up to 255 UTF-8 bytes
        :param passive: spec field ``passive``: a flag
        :param durable: spec field ``durable``: a flag
        :param exclusive: spec field ``exclusive``: a flag
        :param auto_delete: spec field ``auto-delete``: a flag
        :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
        :param arguments: spec field ``arguments``: a field table (dict)
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.QueueDeclare(
            queue_name, passive, durable, exclusive, auto_delete, no_wait, arguments
        )
        reply = await self._rpc(method, no_wait=no_wait, timeout=timeout)
        if reply is None:
            return None
        return {
            "queue": reply.queue_name,
            "message_count": reply.message_count,
            "consumer_count": reply.consumer_count,
        }

    async def queue_bind(
        self,
        queue_name: str = "",
        exchange_name: str = "",
        routing_key: str = "",
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> bool | None:
        """Send queue.bind and wait for queue.bind-ok.

        Returns True, or None with no_wait.

        :param queue_name: spec field ``queue``, domain ``queue-name``: a string of up to 255 UTF-8 bytes
        :param exchange_name: spec field ``exchange``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
        :param routing_key: spec field ``routing-key``: a string of up to 255 UTF-8 bytes
        :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
        :param arguments: spec field ``arguments``: a field table (dict)
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.QueueBind(queue_name, exchange_name, routing_key, no_wait, arguments)
        reply = await self._rpc(method, no_wait=no_wait, timeout=timeout)
        return None if reply is None else True

    async def queue_unbind(
        self,
        queue_name: str = "",
        exchange_name: str = "",
        routing_key: str = "",
        arguments: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> bool:
        """Send queue.unbind and wait for queue.unbind-ok.

        Returns True.

        :param queue_name: spec field ``queue``, domain ``queue-name``: a string of up to 255 UTF-8 bytes
        :param exchange_name: spec field ``exchange``, domain ``exchange-name``: a string of up to 255 UTF-8 bytes
        :param routing_key: spec field ``routing-key``: a string of up to 255 UTF-8 bytes
        :param arguments: spec field ``arguments``: a field table (dict)
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.QueueUnbind(queue_name, exchange_name, routing_key, arguments)
        await self._rpc(method, timeout=timeout)
        return True

    async def queue_purge(
        self,
        queue_name: str = "",
        no_wait: bool = False,
        timeout: float | None = None,
    ) -> dict[str, Any] | None:
        """Send queue.purge and wait for queue.purge-ok.

        Returns the reply's fields as a dict (message_count), or None with no_wait.

        :param queue_name: spec field ``queue``, domain ``queue-name``: a string of up to 255 UTF-8 bytes
        :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.QueuePurge(queue_name, no_wait)
        reply = await self._rpc(method, no_wait=no_wait, timeout=timeout)
        if reply is None:
            return None
        return {"message_count": reply.message_count}

    async def queue_delete(
        self,
        queue_name: str = "",
        if_unused: bool = False,
        if_empty: bool = False,
        no_wait: bool = False,
        timeout: float | None = None,
    ) -> dict[str, Any] | None:
        """Send queue.delete and wait for queue.delete-ok.

        Returns the reply's fields as a dict (message_count), or None with no_wait.

        :param queue_name: spec field ``queue``, domain ``queue-name``: a string of up to 255 UTF-8 bytes
        :param if_unused: spec field ``if-unused``: a flag
        :param if_empty: spec field ``if-empty``: a flag
        :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.QueueDelete(queue_name, if_unused, if_empty, no_wait)
        reply = await self._rpc(method, no_wait=no_wait, timeout=timeout)
        if reply is None:
            return None
        return {"message_count": reply.message_count}

    async def basic_qos(
        self,
        prefetch_size: int = 0,
        prefetch_count: int = 0,
        connection_global: bool = False,
        timeout: float | None = None,
    ) -> bool:
        """Send basic.qos and wait for basic.qos-ok.

        Returns True.

        :param prefetch_size: spec field ``prefetch-size``: an integer 0..4294967295
        :param prefetch_count: spec field ``prefetch-count``: an integer 0..65535
        :param connection_global: spec field ``global``: a flag
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.BasicQos(prefetch_size, prefetch_count, connection_global)
        await self._rpc(method, timeout=timeout)
        return True

    async def basic_consume(
        self,
        queue_name: str = "",
        consumer_tag: str = "",
        no_local: bool = False,
        no_ack: bool = False,
        exclusive: bool = False,
        no_wait: bool = False,
        arguments: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any] | None:
        """Send basic.consume and wait for basic.consume-ok.

        Returns the reply's fields as a dict (consumer_tag), or None with no_wait.

        :param queue_name: spec field ``queue``, domain ``queue-name``: a string of up to 255 UTF-8 bytes
        :param consumer_tag: spec field ``consumer-tag``, domain ``consumer-tag``: a string of up to 255 UTF-8 bytes
        :param no_local: spec field ``no-local``, domain ``no-local``: a flag
        :param no_ack: spec field ``no-ack``, domain ``no-ack``: a flag
        :param exclusive: spec field ``exclusive``: a flag
        :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
        :param arguments: spec field ``arguments``: a field table (dict)
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.BasicConsume(
            queue_name, consumer_tag, no_local, no_ack, exclusive, no_wait, arguments
        )
        reply = await self._rpc(method, no_wait=no_wait, timeout=timeout)
        if reply is None:
            return None
        return {"consumer_tag": reply.consumer_tag}

    async def basic_cancel(
        self,
        consumer_tag: str = "",
        no_wait: bool = False,
        timeout: float | None = None,
    ) -> dict[str, Any] | None:
        """Send basic.cancel and wait for basic.cancel-ok.

        Returns the reply's fields as a dict (consumer_tag), or None with no_wait.

        :param consumer_tag: spec field ``consumer-tag``, domain ``consumer-tag``: a string of up to 255 UTF-8 bytes
        :param no_wait: spec field ``no-wait``, domain ``no-wait``: a flag
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.BasicCancel(consumer_tag, no_wait)
        reply = await self._rpc(method, no_wait=no_wait, timeout=timeout)
        if reply is None:
            return None
        return {"consumer_tag": reply.consumer_tag}

    async def basic_client_ack(
        self,
        delivery_tag: int = 0,
        multiple: bool = False,
    ) -> None:
        """Send basic.ack; the broker does not reply.

        :param delivery_tag: spec field ``delivery-tag``, domain ``delivery-tag``: an integer 0..2**64-1
        :param multiple: spec field ``multiple``: a flag
        """
        payload = methods.BasicAck.pack(delivery_tag, multiple)
        await self._write_payload(payload, "basic.ack")

    async def basic_reject(
        self,
        delivery_tag: int = 0,
        requeue: bool = False,
    ) -> None:
        """Send basic.reject; the broker does not reply.

        :param delivery_tag: spec field ``delivery-tag``, domain ``delivery-tag``: an integer 0..2**64-1
        :param requeue: spec field ``requeue``: a flag
        """
        payload = methods.BasicReject.pack(delivery_tag, requeue)
        await self._write_payload(payload, "basic.reject")

    async def basic_recover_async(
        self,
        requeue: bool = True,
    ) -> None:
        """Send basic.recover-async; the broker does not reply.

        :param requeue: spec field ``requeue``: a flag
        """
        payload = methods.BasicRecoverAsync.pack(requeue)
        await self._write_payload(payload, "basic.recover-async")

    async def basic_recover(
        self,
        requeue: bool = True,
        timeout: float | None = None,
    ) -> bool:
        """Send basic.recover and wait for basic.recover-ok.

        Returns True.

        :param requeue: spec field ``requeue``: a flag
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.BasicRecover(requeue)
        await self._rpc(method, timeout=timeout)
        return True

    async def basic_client_nack(
        self,
        delivery_tag: int = 0,
        multiple: bool = False,
        requeue: bool = True,
    ) -> None:
        """Send basic.nack; the broker does not reply.

        :param delivery_tag: spec field ``delivery-tag``, domain ``delivery-tag``: an integer 0..2**64-1
        :param multiple: spec field ``multiple``: a flag
        :param requeue: spec field ``requeue``: a flag
        """
        payload = methods.BasicNack.pack(delivery_tag, multiple, requeue)
        await self._write_payload(payload, "basic.nack")

    async def tx_select(
        self,
        timeout: float | None = None,
    ) -> bool:
        """Send tx.select and wait for tx.select-ok.

        Returns True.

        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.TxSelect()
        await self._rpc(method, timeout=timeout)
        return True

    async def tx_commit(
        self,
        timeout: float | None = None,
    ) -> bool:
        """Send tx.commit and wait for tx.commit-ok.

        Returns True.

        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.TxCommit()
        await self._rpc(method, timeout=timeout)
        return True

    async def tx_rollback(
        self,
        timeout: float | None = None,
    ) -> bool:
        """Send tx.rollback and wait for tx.rollback-ok.

        Returns True.

        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.TxRollback()
        await self._rpc(method, timeout=timeout)
        return True

    async def confirm_select(
        self,
        timeout: float | None = None,
        *,
        no_wait: bool = False,
    ) -> bool | None:
        """Send confirm.select and wait for confirm.select-ok.

        Returns True, or None with no_wait.

        :param no_wait: spec field ``nowait``: a flag
        :param timeout: seconds to wait for the reply (None: as long as the connection lives)
        """
        method = methods.ConfirmSelect(no_wait)
        reply = await self._rpc(method, no_wait=no_wait, timeout=timeout)
        return None if reply is None else True
