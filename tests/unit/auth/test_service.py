"""The auth use cases over fakes of our ports: sign-up, throttled login, code and refresh rules."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from auth.application.service import (
    AuthService,
    BadCredentials,
    LoggedIn,
    Rejected,
    SignedUp,
    UsernameTaken,
)
from auth.domain.accounts import Role, User
from auth.domain.clients import Client, ClientKind, GrantType
from auth.domain.grants import fingerprint
from auth.domain.throttle import LoginThrottle, Throttled
from auth.domain.tokens import TokenPolicy
from tests.unit.auth.fakes import START, FakeClock, FakeHasher, FakeSigner, FakeUnitOfWork, Tables

WEB = Client("fitshop-web", ClientKind.PUBLIC, None, ("http://127.0.0.1:8000/callback",),
             (GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN), ("shop",))
POLICY = TokenPolicy("http://127.0.0.1:8000/auth", "fitshop", timedelta(seconds=600),
                     timedelta(days=14), timedelta(seconds=120))
HOME = "198.51.100.1"


class World:
    def __init__(self) -> None:
        self.tables = Tables()
        self.clock = FakeClock()
        self.hasher = FakeHasher()
        self.signer = FakeSigner()
        self.service = AuthService(
            uow=lambda: FakeUnitOfWork(self.tables), hasher=self.hasher, signer=self.signer,
            policy=POLICY, throttle=LoginThrottle(5, timedelta(minutes=5)), clock=self.clock,
            dummy_hash="hash:dummy-never-matches")
        self.alice = User(uuid4(), "alice", "alice@fitshop.test", "hash:alice-pass",
                          (Role.CUSTOMER,), START)
        self.tables.users[self.alice.id] = self.alice
        self.tables.clients[WEB.client_id] = WEB


@pytest.fixture
def world() -> World:
    return World()


# -- sign-up ---------------------------------------------------------------------------------------


async def test_signing_up_creates_a_customer_with_a_hashed_password(world: World) -> None:
    result = await world.service.sign_up("Carol", "carol@fitshop.test", "squat-rack-2026")
    assert isinstance(result, SignedUp)
    stored = world.tables.users[result.user.id]
    assert (stored.username, stored.roles) == ("carol", (Role.CUSTOMER,))
    assert stored.password_hash == "hash:squat-rack-2026"


async def test_signing_up_with_a_taken_username_changes_nothing(world: World) -> None:
    before = dict(world.tables.users)
    assert await world.service.sign_up("ALICE", "a2@fitshop.test", "another-pass-1") == \
        UsernameTaken("alice")
    assert world.tables.users == before


async def test_signing_up_with_weak_input_is_rejected_with_every_reason(world: World) -> None:
    result = await world.service.sign_up("x", "nope", "123")
    assert isinstance(result, Rejected)
    assert {v.field for v in result.violations} == {"username", "email", "password"}
    assert len(world.tables.users) == 1


# -- log-in --------------------------------------------------------------------------------------


async def test_the_right_password_logs_in_and_forgets_earlier_failures(world: World) -> None:
    await world.service.log_in("alice", "wrong", HOME)
    assert await world.service.log_in("Alice", "alice-pass", HOME) == LoggedIn(world.alice)
    assert world.tables.attempts == []


async def test_unknown_user_and_wrong_password_look_the_same_and_both_pay_for_a_hash(
        world: World) -> None:
    assert await world.service.log_in("alice", "wrong", HOME) == BadCredentials()
    assert await world.service.log_in("mallory", "wrong", HOME) == BadCredentials()
    assert world.hasher.verified == ["hash:alice-pass", "hash:dummy-never-matches"]


async def test_five_failures_block_the_sixth_attempt_even_with_the_right_password(
        world: World) -> None:
    for _ in range(5):
        assert await world.service.log_in("alice", "wrong", HOME) == BadCredentials()
    verified = len(world.hasher.verified)
    assert await world.service.log_in("alice", "alice-pass", HOME) == Throttled(retry_after=300)
    assert len(world.hasher.verified) == verified  # a blocked attempt never reaches the hash


async def test_throttling_is_per_username_and_address(world: World) -> None:
    for _ in range(5):
        await world.service.log_in("alice", "wrong", HOME)
    assert await world.service.log_in("alice", "alice-pass", "203.0.113.9") == \
        LoggedIn(world.alice)
    assert await world.service.log_in("bob", "x", HOME) == BadCredentials()


async def test_the_block_lifts_when_the_window_has_passed(world: World) -> None:
    for _ in range(5):
        await world.service.log_in("alice", "wrong", HOME)
    world.clock.advance(minutes=5, seconds=1)
    assert await world.service.log_in("alice", "alice-pass", HOME) == LoggedIn(world.alice)


async def test_unknown_usernames_are_throttled_like_known_ones(world: World) -> None:
    for _ in range(5):
        await world.service.log_in("mallory", "guess", HOME)
    assert isinstance(await world.service.log_in("mallory", "guess", HOME), Throttled)


async def test_an_outdated_hash_is_upgraded_at_login(world: World) -> None:
    world.hasher.outdated.add("hash:alice-pass")
    world.hasher.hash = _rehash  # type: ignore[method-assign]
    await world.service.log_in("alice", "alice-pass", HOME)
    assert world.tables.users[world.alice.id].password_hash == "rehash:alice-pass"


async def _rehash(password: str) -> str:
    return f"rehash:{password}"


# -- OAuth sessions: codes -----------------------------------------------------------------------


async def issue_code(world: World, code: str = "code-1") -> None:
    async with world.service.oauth() as session:
        await session.issue_code(code, client=WEB, user_id=world.alice.id,
                                 redirect_uri=WEB.redirect_uris[0], scope="shop",
                                 code_challenge="c" * 43, code_challenge_method="S256")


async def test_an_issued_code_is_stored_with_its_ttl_and_redeemable_once(world: World) -> None:
    await issue_code(world)
    stored = world.tables.codes[fingerprint("code-1")]
    assert stored.expires_at == START + timedelta(seconds=120)
    async with world.service.oauth() as session:
        code = await session.redeem_code("code-1", "fitshop-web")
        assert code is not None
        await session.consume_code(code)
    async with world.service.oauth() as session:
        assert await session.redeem_code("code-1", "fitshop-web") is None


async def test_an_expired_code_is_not_redeemable(world: World) -> None:
    await issue_code(world)
    world.clock.advance(seconds=120)
    async with world.service.oauth() as session:
        assert await session.redeem_code("code-1", "fitshop-web") is None


async def test_replaying_a_code_revokes_the_tokens_it_produced(world: World) -> None:
    await issue_code(world)
    async with world.service.oauth() as session:
        code = await session.redeem_code("code-1", "fitshop-web")
        assert code is not None
        await session.store_refresh_token("refresh-1", client=WEB, user=world.alice,
                                          scope="shop", code=code, previous=None)
        await session.consume_code(code)
    async with world.service.oauth() as session:
        assert await session.redeem_code("code-1", "fitshop-web") is None
    [family] = world.tables.families.values()
    assert family.revoked_at == START
    async with world.service.oauth() as session:
        assert await session.present_refresh_token("refresh-1", "fitshop-web") is None


# -- OAuth sessions: refresh tokens -------------------------------------------------------------


async def first_refresh_token(world: World) -> None:
    async with world.service.oauth() as session:
        await session.store_refresh_token("refresh-1", client=WEB, user=world.alice,
                                          scope="shop", code=None, previous=None)


async def rotate(world: World, old: str, new: str) -> bool:
    async with world.service.oauth() as session:
        token = await session.present_refresh_token(old, "fitshop-web")
        if token is None:
            return False
        await session.store_refresh_token(new, client=WEB, user=world.alice, scope="shop",
                                          code=None, previous=token)
        return True


async def test_each_refresh_rotates_the_token_within_one_family(world: World) -> None:
    await first_refresh_token(world)
    assert await rotate(world, "refresh-1", "refresh-2")
    assert await rotate(world, "refresh-2", "refresh-3")
    assert len(world.tables.families) == 1
    assert {t.token_hash for t in world.tables.tokens.values() if t.rotated_at is None} == \
        {fingerprint("refresh-3")}


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(world: World) -> None:
    await first_refresh_token(world)
    assert await rotate(world, "refresh-1", "refresh-2")
    world.clock.advance(minutes=1)
    assert not await rotate(world, "refresh-1", "stolen-successor")
    [family] = world.tables.families.values()
    assert family.revoked_at == START + timedelta(minutes=1)
    # the legitimate holder's newest token dies with the family
    assert not await rotate(world, "refresh-2", "refresh-3")


async def test_a_refresh_token_is_refused_to_another_client(world: World) -> None:
    await first_refresh_token(world)
    async with world.service.oauth() as session:
        assert await session.present_refresh_token("refresh-1", "fitshop-cli") is None
    [family] = world.tables.families.values()
    assert family.revoked_at is None


async def test_an_access_token_is_signed_with_the_policys_lifetime(world: World) -> None:
    async with world.service.oauth() as session:
        issued = session.mint_access_token(WEB, world.alice, "shop")
    assert issued.expires_in == 600
    [claims] = world.signer.signed
    assert claims["sub"] == str(world.alice.id)
    assert claims["exp"] - claims["iat"] == 600


async def test_purging_forgets_expired_codes_tokens_and_old_attempts(world: World) -> None:
    await issue_code(world)
    await first_refresh_token(world)
    await world.service.log_in("alice", "wrong", HOME)
    world.clock.advance(days=16)
    await world.service.purge()
    assert world.tables.codes == {}
    assert world.tables.tokens == {}
    assert world.tables.attempts == []


# -- seeding ------------------------------------------------------------------------------------


async def test_ensuring_a_user_twice_creates_it_once(world: World) -> None:
    assert await world.service.ensure_user("seller", "s@fitshop.test", "seller-pass",
                                           (Role.SELLER,))
    assert not await world.service.ensure_user("seller", "s@fitshop.test", "seller-pass",
                                               (Role.SELLER,))
    assert sum(u.username == "seller" for u in world.tables.users.values()) == 1


async def test_a_confidential_client_keeps_its_secret_unless_given_a_new_one(
        world: World) -> None:
    loadgen = Client("loadgen", ClientKind.CONFIDENTIAL, None, (),
                     (GrantType.CLIENT_CREDENTIALS,), ("shop",), (Role.CUSTOMER,))
    with pytest.raises(ValueError, match="needs a secret"):
        await world.service.register_client(loadgen)
    await world.service.register_client(loadgen, "s3cret")
    await world.service.register_client(loadgen)
    assert world.tables.clients["loadgen"].secret_hash == "hash:s3cret"
