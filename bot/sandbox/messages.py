"""The Bot API methods on messages: send, edit, delete, documents and callback answers."""

from __future__ import annotations

import json
import mimetypes
import struct
import time
from typing import IO, Any

from bot.sandbox.driver import UserSide
from bot.sandbox.errors import NOT_MODIFIED_DESCRIPTION, bad
from bot.sandbox.formatting import caption_text, message_text, utf16_len
from bot.sandbox.keyboards import validate_reply_markup
from bot.sandbox.params import Params
from bot.sandbox.records import CallbackAnswer, SentRecord, StoredFile

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class MessageMethods(UserSide):
    """The bot's messages: each accepted send or edit is kept and recorded in the outbox."""

    def __init__(self, bot_user: dict[str, Any], first_update_id: int) -> None:
        super().__init__(bot_user, first_update_id)
        self.files: dict[str, StoredFile] = {}
        self._seq = 0
        self._log_file: IO[str] | None = None

    def _keep(self, message: dict[str, Any], replied: dict[str, Any] | None,
              markup: dict[str, Any] | None) -> None:
        """Attach what the bot's new message replies to and its inline keyboard, and keep it.
        A reply keyboard stays under the chat's input field until another replaces or removes
        it."""
        if replied is not None:
            message["reply_to_message"] = replied
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        chat_id = message["chat"]["id"]
        if markup is not None and "keyboard" in markup:
            self.reply_keyboards[chat_id] = markup
        elif markup is not None and markup.get("remove_keyboard"):
            self.reply_keyboards.pop(chat_id, None)
        self.messages[(message["chat"]["id"], message["message_id"])] = message

    async def _send_message(self, params: Params) -> dict[str, Any]:
        chat_id = self._resolve_chat(params)
        raw = params.get_str("text")
        parse_mode = params.get_str("parse_mode") or None
        text, entities = message_text(raw, parse_mode, params.get_json("entities"))
        markup = self._reply_markup(params)
        replied = self._replied_message(params, chat_id)
        message = self._new_message(chat_id, self.bot_user)
        message["text"] = text
        if entities:
            message["entities"] = entities
        self._keep(message, replied, markup)
        self._record(
            "sendMessage", chat_id, message, html=raw, parse_mode=parse_mode, reply_markup=markup
        )
        return message

    async def _edit_message_text(self, params: Params) -> dict[str, Any]:
        chat_id, current = self._message_to_edit(params)
        if "text" not in current:
            raise bad("there is no text in the message to edit")
        raw = params.get_str("text")
        parse_mode = params.get_str("parse_mode") or None
        text, entities = message_text(raw, parse_mode, params.get_json("entities"))
        markup = self._reply_markup(params)
        if markup is not None and "inline_keyboard" not in markup:
            raise bad("inline keyboard expected")
        if (
            text == current["text"]
            and entities == current.get("entities", [])
            and markup == current.get("reply_markup")
        ):
            raise bad(NOT_MODIFIED_DESCRIPTION.removeprefix("Bad Request: "))
        edited = {
            k: v for k, v in current.items() if k not in ("entities", "reply_markup", "edit_date")
        }
        edited.update(text=text, edit_date=int(time.time()))
        if entities:
            edited["entities"] = entities
        if markup is not None:
            edited["reply_markup"] = markup
        self.messages[(chat_id, current["message_id"])] = edited
        self._record(
            "editMessageText",
            chat_id,
            edited,
            html=raw,
            parse_mode=parse_mode,
            reply_markup=markup,
            edited=True,
        )
        return edited

    async def _edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        chat_id, current = self._message_to_edit(params)
        markup = self._reply_markup(params)
        if markup is not None and "inline_keyboard" not in markup:
            raise bad("inline keyboard expected")
        if markup == current.get("reply_markup"):
            raise bad(NOT_MODIFIED_DESCRIPTION.removeprefix("Bad Request: "))
        edited = {k: v for k, v in current.items() if k not in ("reply_markup", "edit_date")}
        edited["edit_date"] = int(time.time())
        if markup is not None:
            edited["reply_markup"] = markup
        self.messages[(chat_id, current["message_id"])] = edited
        self._record(
            "editMessageReplyMarkup",
            chat_id,
            edited,
            html=None,
            parse_mode=None,
            reply_markup=markup,
            edited=True,
        )
        return edited

    async def _delete_message(self, params: Params) -> bool:
        chat_id = self._resolve_chat(params)
        message_id = params.get_int("message_id")
        key = (chat_id, message_id or 0)
        if self.messages.pop(key, None) is None and self.user_messages.pop(key, None) is None:
            raise bad("message to delete not found")
        self.deleted.append(key)
        return True

    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        if query_id not in self._open_queries:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get_str("text")
        if text is not None and utf16_len(text) > 200:
            raise bad("MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        self.callback_answers.append(CallbackAnswer(query_id, text, params.get_bool("show_alert")))
        return True

    async def _send_document(self, params: Params) -> dict[str, Any]:
        stored = self._upload(params, "document")
        document: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.filename:
            document["file_name"] = stored.filename
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return self._send_file(params, "sendDocument", "document", document, stored)

    async def _send_photo(self, params: Params) -> dict[str, Any]:
        """A picture, kept as uploaded (tests read it back); PNG only, whose size the IHDR
        chunk tells: Telegram's re-encoded sizes are no business of a test."""
        stored = self._upload(params, "photo")
        if stored.data[:8] != PNG_SIGNATURE or stored.data[12:16] != b"IHDR":
            raise bad("IMAGE_PROCESS_FAILED")
        width, height = struct.unpack(">II", stored.data[16:24])
        photo = [{"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                  "file_size": len(stored.data), "width": width, "height": height}]
        return self._send_file(params, "sendPhoto", "photo", photo, stored)

    def _send_file(self, params: Params, method: str, field: str, sent: object,
                   stored: StoredFile) -> dict[str, Any]:
        chat_id = self._resolve_chat(params)
        raw_caption = params.get_str("caption")
        parse_mode = params.get_str("parse_mode") or None
        caption, caption_entities = caption_text(
            raw_caption, parse_mode, params.get_json("caption_entities")
        )
        markup = self._reply_markup(params)
        replied = self._replied_message(params, chat_id)
        message = self._new_message(chat_id, self.bot_user)
        message[field] = sent
        if caption:
            message["caption"] = caption
        if caption_entities:
            message["caption_entities"] = caption_entities
        self._keep(message, replied, markup)
        self._record(
            method,
            chat_id,
            message,
            html=raw_caption,
            parse_mode=parse_mode,
            reply_markup=markup,
            document=stored.data,
            filename=stored.filename,
        )
        return message

    def _upload(self, params: Params, field: str) -> StoredFile:
        value = params.values.get(field)
        upload = params.uploads.get(field)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = params.uploads.get(value.removeprefix("attach://"))
        if upload is not None:
            if not upload.data:
                raise bad("file must be non-empty")
            number = len(self.files) + 1
            mime_type = upload.mime_type
            if not mime_type or mime_type == "application/octet-stream":
                mime_type = mimetypes.guess_type(upload.filename or "")[0] or mime_type
            stored = StoredFile(
                file_id=f"SBXDOC{number:06d}",
                file_unique_id=f"SBXU{number:06d}",
                data=upload.data,
                filename=upload.filename,
                mime_type=mime_type,
            )
            self.files[stored.file_id] = stored
            return stored
        if value is None or value == "":
            raise bad(f"there is no {field} in the request")
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        raise bad("wrong file identifier/HTTP URL specified")

    async def _get_file(self, params: Params) -> dict[str, Any]:
        stored = self.files.get(params.get_str("file_id") or "")
        if stored is None:
            raise bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": f"documents/{stored.file_id}",
        }

    async def _send_chat_action(self, params: Params) -> bool:
        self._resolve_chat(params)
        if not params.get_str("action"):
            raise bad("wrong parameter action in request")
        return True

    # --- shared by the methods above ---------------------------------------------------------

    def _reply_markup(self, params: Params) -> dict[str, Any] | None:
        markup = params.get_json("reply_markup")
        return None if markup is None else validate_reply_markup(markup)

    def _replied_message(self, params: Params, chat_id: int) -> dict[str, Any] | None:
        reply = params.get_json("reply_parameters")
        allow_missing = params.get_bool("allow_sending_without_reply")
        if reply is None:
            message_id = params.get_int("reply_to_message_id")
        elif isinstance(reply, dict):
            message_id = Params(reply, {}).get_int("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        else:
            raise bad("can't parse reply parameters JSON object")
        if message_id is None:
            return None
        key = (chat_id, message_id)
        target = self.messages.get(key) or self.user_messages.get(key)
        if target is None:
            if allow_missing:
                return None
            raise bad("message to be replied not found")
        return {k: v for k, v in target.items() if k != "reply_to_message"}

    def _message_to_edit(self, params: Params) -> tuple[int, dict[str, Any]]:
        if params.values.get("inline_message_id"):
            raise bad("inline messages are not supported by the sandbox")
        chat_id = self._resolve_chat(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad("message identifier is not specified")
        message = self.messages.get((chat_id, message_id))
        if message is None:
            raise bad("message to edit not found")
        return chat_id, message

    def _record(
        self,
        method: str,
        chat_id: int,
        message: dict[str, Any],
        *,
        html: str | None,
        parse_mode: str | None,
        reply_markup: dict[str, Any] | None,
        edited: bool = False,
        document: bytes | None = None,
        filename: str | None = None,
    ) -> None:
        self._seq += 1
        record = SentRecord(
            seq=self._seq,
            method=method,
            chat_id=chat_id,
            message_id=message["message_id"],
            text=message.get("text"),
            html=html,
            parse_mode=parse_mode,
            reply_markup=reply_markup,
            document=document,
            filename=filename,
            caption=message.get("caption"),
            time=time.monotonic(),
            edited=edited,
            entities=list(message.get("entities") or message.get("caption_entities") or []),
        )
        self.outbox.append(record)
        if self._log_file is not None:
            line = {
                "seq": record.seq,
                "method": method,
                "chat_id": chat_id,
                "message_id": record.message_id,
                "text": record.text if record.text is not None else record.caption,
                "time": time.time(),
            }
            self._log_file.write(json.dumps(line, ensure_ascii=False) + "\n")
            self._log_file.flush()
