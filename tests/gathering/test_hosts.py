"""Hosts named by env values: URLs of every common shape, host:port lists, bare names only where
the variable holds an address, and never a credential."""

from __future__ import annotations

import pytest

from incident.gathering.hosts import hosts_in


@pytest.mark.parametrize(
    ("value", "hosts"),
    [
        ("postgres://user:secret@orders-db.shop.svc:5432/x", ["orders-db.shop.svc"]),
        ("jdbc:postgresql://db1:5432,db2:5432/app?ssl=true", ["db1", "db2"]),
        ("jdbc:sqlserver://mssql:1433;databaseName=x", ["mssql"]),
        ("redis://:p4ss@cart-redis:6379/0", ["cart-redis"]),
        ("amqp://guest:guest@Rabbit.shop.svc.cluster.local.:5672/vhost", ["rabbit.shop.svc.cluster.local"]),
        ("mongodb://u:p@h1:27017,h2:27017/db", ["h1", "h2"]),
        ("kafka-0.kafka:9092 kafka-1.kafka:9092", ["kafka-0.kafka", "kafka-1.kafka"]),
        ("http://[fd00::1]:8080/x", ["fd00::1"]),
        ("10.1.2.3", ["10.1.2.3"]),
        ("host=orders-db user=app password=cart", ["orders-db"]),
        ("-Ddb.host=orders-db.shop -Xmx1g", ["orders-db.shop"]),
        ("-XX:MaxRAMPercentage=70", []),
        ("cart", []),
    ],
)
def test_hosts(value: str, hosts: list[str]) -> None:
    assert list(hosts_in(value)) == hosts


def test_bare_names_only_when_the_whole_value_is_one() -> None:
    assert list(hosts_in("cart", bare_names=True)) == ["cart"]
    assert list(hosts_in("cart search", bare_names=True)) == []
    assert list(hosts_in("user:hunter2@db:5432", bare_names=True)) == ["db"]
