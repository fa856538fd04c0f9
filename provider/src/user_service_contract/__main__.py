"""``python -m user_service_contract``: verify user-service against pacts (used by the tiers).

Exit status 0 when everything non-pending passed and at least one interaction was verified,
1 on verification failures, 2 on bad input, 4 when the broker cannot be used (after retries),
3 when the verification passed but the result of
at least one pact could not be published (every other pact's result is published all the same).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from user_service_contract.broker import BrokerError
from user_service_contract.plan import Plan, Shard, ShardError
from user_service_contract.publishing import PublishOptions
from user_service_contract.report import VerificationReport
from user_service_contract.reuse import ResultCache
from user_service_contract.sources import BrokerSource, LocalPacts, PactSource, PactUrl, SourceError
from user_service_contract.variants import Variant
from user_service_contract.verification import plan_pacts, verify_provider

DEFAULT_SELECTORS = ({"mainBranch": True}, {"deployedOrReleased": True}, {"matchingBranch": True})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m user_service_contract", description=__doc__)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--pact-dir", type=Path, help="verify the local pact files in this folder")
    where.add_argument("--pact-url", help="verify exactly this one pact (from a webhook)")
    where.add_argument(
        "--broker-url", help="verify what this broker selects (pacts-for-verification)"
    )
    parser.add_argument("--provider-url", help="verify this running provider instead of the app")
    parser.add_argument("--state-change-url", help="provider-state endpoint of --provider-url")
    parser.add_argument(
        "--variant",
        choices=[v.value for v in Variant],
        help="verify a breaking variant of the app (a demonstration)",
    )
    parser.add_argument("--provider-version", help="provider version the results are for")
    parser.add_argument("--provider-branch", help="provider branch (selectors, pending, WIP)")
    parser.add_argument("--build-url", help="link to the build that verified")
    parser.add_argument("--publish", action="store_true", help="publish results to the broker")
    parser.add_argument("--no-pending", action="store_true", help="pending pacts fail the build")
    parser.add_argument(
        "--workers",
        type=_workers,
        help="verify pacts in this many processes, each with its own app (default: the CPUs "
        "this process may use, at most 8)",
    )
    parser.add_argument(
        "--worker-timeout",
        type=_seconds,
        help="seconds a worker may take before it is killed and its pacts fail (default: "
        "2 minutes plus 2 seconds per interaction of its share)",
    )
    parser.add_argument(
        "--shard",
        type=_shard,
        help="verify only share K of N of the pacts (K/N, e.g. 2/4: for CI matrices)",
    )
    parser.add_argument(
        "--plan-out",
        type=Path,
        help="only list the pacts this run would verify (this shard's), as JSON into this file",
    )
    parser.add_argument(
        "--plan", type=Path, help="verify the pacts an earlier --plan-out listed (no new listing)"
    )
    parser.add_argument(
        "--input-digest",
        help="the provider's input digest (invoke digest provider-verify): keys reused results",
    )
    parser.add_argument(
        "--reuse-dir", type=Path, help="recorded successes (<pact sha>.json) not to replay"
    )
    parser.add_argument(
        "--record-dir", type=Path, help="write each pact's new success here (<pact sha>.json)"
    )
    parser.add_argument(
        "--counts-out",
        type=Path,
        help="also write the run's numbers (pacts, reused, verified, failed...) as JSON here",
    )
    parser.add_argument(
        "--retries",
        type=_retries,
        help="tries again per broker call on no connection, 408, 429 or 5xx (default: "
        "PACT_BROKER_HTTP_RETRIES, else 8)",
    )
    parser.add_argument(
        "--wip-since",
        type=date.fromisoformat,
        help="include work-in-progress pacts created since this date (YYYY-MM-DD)",
    )
    return parser


def _workers(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return count


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {text!r}")
    return seconds


def _retries(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}")
    return int(text)


def _shard(text: str) -> Shard:
    try:
        return Shard.parse(text)
    except ShardError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _source(args: argparse.Namespace) -> PactSource:
    if args.pact_dir is not None:
        return LocalPacts(args.pact_dir)
    if args.pact_url is not None:
        return PactUrl(args.pact_url)
    return BrokerSource(
        broker_url=args.broker_url,
        selectors=DEFAULT_SELECTORS if args.provider_branch else DEFAULT_SELECTORS[:2],
        provider_branch=args.provider_branch,
        include_pending=not args.no_pending,
        wip_since=args.wip_since if args.provider_branch else None,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the verification described by ``argv``; print a summary; return the exit status."""
    args = _parser().parse_args(argv)
    publish = None
    if args.publish:
        if not args.provider_version:
            print("error: --publish needs --provider-version", file=sys.stderr)
            return 2
        publish = PublishOptions(args.provider_version, args.provider_branch, args.build_url)
    if (args.reuse_dir or args.record_dir) and not args.input_digest:
        print("error: --reuse-dir and --record-dir need --input-digest", file=sys.stderr)
        return 2
    cache = (
        ResultCache(args.input_digest, args.reuse_dir, args.record_dir)
        if args.input_digest
        else None
    )
    try:
        if args.plan_out is not None:
            plan = plan_pacts(_source(args), shard=args.shard, retries=args.retries)
            args.plan_out.write_text(plan.to_json(), encoding="utf-8")
            return 0
        report: VerificationReport = verify_provider(
            _source(args),
            provider_url=args.provider_url,
            state_change_url=args.state_change_url,
            variant=Variant(args.variant) if args.variant else None,
            publish=publish,
            workers=args.workers,
            shard=args.shard,
            plan=Plan.from_json(args.plan.read_text("utf-8")) if args.plan else None,
            cache=cache,
            retries=args.retries,
            worker_timeout=args.worker_timeout,
        )
    except BrokerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 4
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    if args.counts_out is not None:
        args.counts_out.write_text(json.dumps(report.counts()), encoding="utf-8")
    if report.unpublished:
        print(
            f"error: the result of {len(report.unpublished)} pact(s) could not be published "
            f"(the others were): {'; '.join(report.unpublished)}",
            file=sys.stderr,
        )
    if not report.success:
        return 1
    return 3 if report.unpublished else 0


if __name__ == "__main__":
    sys.exit(main())
