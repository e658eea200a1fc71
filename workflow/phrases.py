"""A reviewer's saved comment phrases (常用意见): list, add, delete, look one up.

Personal preferences, not review actions: nothing here changes an item or a task, so no
audit event is written (the comment a phrase ends up in is recorded with its decision).
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core.errors import InvalidInput, NotFound, NotPermitted

from .models import CommentPhrase
from .permissions import STEP_ROLE

MAX_PHRASES = 20
MAX_LENGTH = CommentPhrase._meta.get_field("text").max_length


def comment_phrases(*, user) -> list[CommentPhrase]:
    if not user.is_authenticated:
        return []
    return list(CommentPhrase.objects.filter(person_id=user.pk))


def phrase_text(*, user, phrase_id) -> str:
    """The text of one of the person's phrases ("" when it is not theirs or not there)."""
    if not user.is_authenticated:
        return ""
    return (CommentPhrase.objects.filter(person_id=user.pk, pk=phrase_id)
            .values_list("text", flat=True).first() or "")


def add_comment_phrase(*, user, text: str) -> CommentPhrase:
    if not any(user.has_role(role) for role in STEP_ROLE.values()):
        raise NotPermitted(_("只有审核人员可以保存常用意见。"))
    text = " ".join((text or "").split())
    if not text:
        raise InvalidInput(_("请填写常用意见。"), fields={"text": [_("请填写常用意见。")]})
    if len(text) > MAX_LENGTH:
        message = _("常用意见最多 %d 个字。") % MAX_LENGTH
        raise InvalidInput(message, fields={"text": [message]})
    with transaction.atomic():
        # the person's row serialises their additions: the limit holds under double clicks
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        phrases = CommentPhrase.objects.filter(person_id=user.pk)
        if phrases.filter(text=text).exists():
            message = _("已有相同的常用意见。")
            raise InvalidInput(message, fields={"text": [message]})
        if phrases.count() >= MAX_PHRASES:
            message = _("最多保存 %d 条常用意见，请先删除不再使用的。") % MAX_PHRASES
            raise InvalidInput(message, fields={"text": [message]})
        last = phrases.aggregate(last=Max("order"))["last"]
        return CommentPhrase.objects.create(person_id=user.pk, text=text,
                                            order=0 if last is None else last + 1)


def delete_comment_phrase(*, user, phrase_id: int) -> None:
    deleted, _rows = CommentPhrase.objects.filter(person_id=user.pk, pk=phrase_id).delete()
    if not deleted:
        raise NotFound(_("未找到该常用意见。"))
