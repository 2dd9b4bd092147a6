"""Letters from the service's side: a visitor writes, a volunteer of the line answers, the
visitor reads the answer behind the link; a wrong link opens nothing; forget leaves nothing."""

from __future__ import annotations

import pytest

from chatserver.errors import FollowUpUnavailable, Forbidden, LinkUnknown
from chatserver.hub.model import Role
from tests.hub.followup.kit import SETTINGS, START, desk, volunteer, with_letters


@pytest.mark.asyncio
async def test_a_letter_is_answered_and_read_back_through_the_link() -> None:
    followup, store, clock = await desk(with_letters(SETTINGS))
    line = SETTINGS.lines[0].id
    anna = volunteer(1)
    await store.add_account(anna)
    _space, key, thread = await followup.letters.write_first(line, "nl", "Ik slaap slecht", True)
    [waiting] = await followup.letters.queue(anna)
    assert waiting.id == thread.id and waiting.due_at == START + 48 * 3600
    clock.advance(49 * 3600)
    assert waiting.overdue(clock.now())

    await followup.letters.answer(anna, thread.id, "Wat naar. Vertel eens?")
    assert await followup.letters.queue(anna) == []
    view = await followup.spaces.view(await followup.spaces.find(key))
    [(_, letters)] = view.threads
    assert [(x.role, x.text, x.author_alias) for x in letters] == [
        (Role.VISITOR, "Ik slaap slecht", None),
        (Role.OPERATOR, "Wat naar. Vertel eens?", "Vrijwilliger 1"),
    ]
    await store.close()


@pytest.mark.asyncio
async def test_wrong_replaced_and_forgotten_links_open_nothing_alike() -> None:
    followup, store, _clock = await desk(with_letters(SETTINGS))
    line = SETTINGS.lines[0].id
    space, key, _ = await followup.letters.write_first(line, "nl", "hallo", True)
    new_key = await followup.spaces.replace_key(space)
    for wrong in (key, "x" * 43, "", None, 42):
        with pytest.raises(LinkUnknown):
            await followup.spaces.find(wrong)
    found = await followup.spaces.find(new_key)
    assert await followup.spaces.forget(found) == 1
    with pytest.raises(LinkUnknown):
        await followup.spaces.find(new_key)
    await store.close()


@pytest.mark.asyncio
async def test_letters_only_where_the_line_takes_them_and_only_for_its_volunteers() -> None:
    followup, store, _clock = await desk(SETTINGS)
    line = SETTINGS.lines[0].id
    with pytest.raises(FollowUpUnavailable):
        await followup.letters.write_first(line, "nl", "hallo", True)
    followup, store, _clock = await desk(with_letters(SETTINGS))
    _, _, thread = await followup.letters.write_first(line, "nl", "hallo", True)
    other = volunteer(2, lines=("elsewhere",))
    assert await followup.letters.queue(other) == []
    with pytest.raises(Forbidden):
        await followup.letters.read(other, thread.id)
    await store.close()


@pytest.mark.asyncio
async def test_idle_spaces_and_threads_follow_the_lines_retention() -> None:
    """A space nobody used for the line's term goes with its link; in a space still in use,
    a thread idle that long goes on its own. A dry run counts the same and removes nothing."""
    settings = with_letters(SETTINGS)
    followup, store, clock = await desk(settings)
    line = settings.lines[0].id
    term = settings.retention_for(line).transcripts_days * 86400
    _, idle_key, _ = await followup.letters.write_first(line, "nl", "oud", True)
    busy, busy_key, old_thread = await followup.letters.write_first(line, "nl", "ook oud", True)
    clock.advance(term - 3600)
    await followup.letters.write(busy, "nieuw")  # a second thread keeps the space in use
    clock.advance(7200)

    assert await followup.spaces.purge_idle(clock.now(), dry_run=True) == (1, 1)
    assert await store.thread(old_thread.id) is not None
    assert await followup.spaces.purge_idle(clock.now()) == (1, 1)
    with pytest.raises(LinkUnknown):
        await followup.spaces.find(idle_key)
    view = await followup.spaces.view(await followup.spaces.find(busy_key))
    assert [[x.text for x in letters] for _, letters in view.threads] == [["nieuw"]]
    await store.close()
