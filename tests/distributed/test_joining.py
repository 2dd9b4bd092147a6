"""``chatserver serve --redis``: who may join the nodes on one Redis, as an administrator
meets it: real processes, exit codes and the words on the terminal.

Nodes with different configurations would each act on the shared floor by their own rules
(one routes a visitor the other thinks is closed, one purges what the other keeps), so a node
whose settings differ from the running nodes' refuses to join, and says what to do.
"""

from __future__ import annotations

from pathlib import Path

from tests.distributed.cluster import chatserver, cluster, node_config
from tests.e2e.conftest import CONFIG, PASSWORD
from tests.redis_server import RedisServer


async def test_redis_without_a_node_name_is_refused_with_the_fix() -> None:
    """Every node on one Redis needs a name of its own: without ``--node``, exit 2 and the
    option to add, before anything is connected."""
    code, _out, err = await chatserver(
        "serve", "--config", str(CONFIG), "--redis", "redis://127.0.0.1:1/0", "--port", "0"
    )
    assert code == 2
    assert "--redis needs --node NAME" in err and "Traceback" not in err


async def test_a_node_with_another_configuration_refuses_to_join(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """n1 runs; n2 with a different queue limit exits 1 with one message that names its
    file and the fix (the same configuration file on every node); n2 with n1's file, listening
    on another port, joins."""
    async with cluster(redis_server, tmp_path / "nodes") as nodes:
        await nodes.start("n1")
        other = tmp_path / "other"
        other.mkdir()
        changed = node_config(other).read_text().replace("queue_limit = 5", "queue_limit = 6", 1)
        (other / "chatserver.toml").write_text(changed)
        refused = await nodes.spawn("n2", other / "chatserver.toml")
        code = await refused.process.wait()
        output = refused.output()
        assert code == 1, output
        assert "Traceback" not in output
        assert str(other / "chatserver.toml") in output
        assert "same configuration file" in output
        nodes.nodes.remove(refused)
        assert (await nodes.start("n2")).url  # the same file as n1: it joins


async def test_commands_on_the_shared_records_need_the_nodes_configuration(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """n1 runs with the default retention terms. ``chatserver purge --redis`` with a file
    that keeps transcripts 0 days would erase what the nodes keep: it exits 1, naming its
    file, the section that differs and the fix, and so does ``operator add`` with that file.
    The same commands with the nodes' own file run."""
    async with cluster(redis_server, tmp_path / "nodes") as nodes:
        await nodes.start("n1")
        other = tmp_path / "other"
        other.mkdir()
        shorter = node_config(other, "\n[retention]\ntranscripts_days = 0\n")
        redis = ["--config", str(shorter), "--redis", redis_server.url]

        code, out, err = await chatserver("purge", *redis)
        assert code == 1, out + err
        assert "Traceback" not in err and out == ""
        assert str(shorter) in err and "[retention] differs" in err
        assert "--config naming the same file as the nodes'" in err

        add = ["operator", "add", "anna", "--role", "volunteer", "--password-stdin"]
        code, out, err = await chatserver(*add, *redis, stdin=PASSWORD + "\n")
        assert code == 1, out + err
        assert "[retention] differs" in err and "Created" not in out

        code, out, err = await chatserver("purge", *nodes.redis_args())
        assert code == 0, out + err
        await nodes.account("anna")  # ``operator add`` with the nodes' file
