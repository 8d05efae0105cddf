"""A few flow texts in 2026's words by default, and in 2021–2025's with a 镇街 township and a
区 county when the policy file's [words] says so (monitoring/terms.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import load_translations
from conversations.engine.replies import Edit, Reply, Say
from conversations.engine.services import Services
from conversations.reports.summary import summary
from monitoring.terms import CountyWord, Era, Terms, TownshipWord
from tests.flows.conftest import Runner
from tests.flows.test_checkin import TUESDAY, start_h1
from tests.small_town import A


async def check_in_to_the_expense(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> tuple[Reply, Reply]:
    services.clock = lambda: TUESDAY
    first = await start_h1(run, town)
    await run.answer(A, button="ci:a:visit_method:home", message_text=first.text)
    [income] = await run.answer(A, text="3")
    await run.answer(A, text="否")  # income unchanged
    await run.answer(A, text="是")  # a large expenditure
    [amount] = await run.answer(A, button="ci:a:expense_cause:illness", message_text="")
    return income, amount


async def test_the_default_words(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    income, amount = await check_in_to_the_expense(run, services, town)
    assert isinstance(income, Say) and "上次走访以来，家庭收入有明显变化吗？" in income.text
    assert isinstance(amount, Say | Edit) and "家庭自己实际支付了多少元（合规自付）" in amount.text
    [nobody] = await run.text(summary, 9999, "/summary")
    assert isinstance(nobody, Say) and nobody.text == "/summary 仅供乡镇干部和村干部使用。"


async def test_the_words_of_a_chongqing_district_in_2021_terms(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.translations = load_translations(
        "zh_CN", Terms(Era.Y2021, TownshipWord.ZHENJIE, CountyWord.QU)
    )
    [nobody] = await run.text(summary, 9999, "/summary")
    assert isinstance(nobody, Say) and nobody.text == "/summary 仅供镇街干部和村干部使用。"
    income, _ = await check_in_to_the_expense(run, services, town)
    assert isinstance(income, Say) and "上次走访以来" in income.text
