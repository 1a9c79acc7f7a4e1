"""`npusim` command line: run | plugins | info | schema (plugins add more groups via npusim_cli_commands)."""
from __future__ import annotations

import json
import sys

import click

from npusim.errors import NpusimError


def _overrides(sets: tuple[str, ...]) -> dict:
    out = {}
    for item in sets:
        key, sep, val = item.partition("=")
        if not sep or "." not in key:
            raise click.BadParameter(f"--set {item!r}: expected SECTION.KEY=VALUE", param_hint="--set")
        try:
            out[key] = json.loads(val)
        except json.JSONDecodeError:
            out[key] = val
    return out


@click.group()
@click.version_option(package_name="npusim-core")
def cli():
    """npusim: simulate PyTorch models and tile graphs on configurable NPUs."""


@cli.command()
@click.argument("workload")
@click.option("--config", "config", default=None, help="preset name or config file (default $NPUSIM_CONFIG or tpuv3)")
@click.option("--set", "sets", multiple=True, help="override a config value: SECTION.KEY=VALUE (repeatable)")
@click.option("--json", "json_out", default=None, help="write the JSON result here")
@click.option("--log", "log_out", default=None, help="write the TOGSim-style text log here")
@click.option("--trace", "trace_out", default=None, help="write a Chrome/Perfetto trace here")
@click.option("--quiet", is_flag=True, help="do not print the log")
def run(workload, config, sets, json_out, log_out, trace_out, quiet):
    """Simulate WORKLOAD (gemm:M,N,K, bmm:..., conv:..., a model name, or a TOG file)."""
    from npusim.config import load_config
    from npusim.engine import report
    from npusim.plugins import make_plugins
    from npusim.workloads import run_workload

    plugins = make_plugins()
    overrides = _overrides(sets)
    if trace_out:
        overrides["sim.trace"] = True
    machine = load_config(config, plugins, overrides=overrides)
    res = run_workload(workload, machine, plugins, trace=bool(trace_out))
    text = report.togsim_log(res)
    if not quiet:
        click.echo(text, nl=False)
    outputs = []
    if json_out:
        outputs.append((json_out, lambda p: report.write_json(res, p)))
    if log_out:
        outputs.append((log_out, lambda p: open(p, "w").write(text)))
    if trace_out:
        period = int(round(1e6 / machine.core.freq_mhz))
        outputs.append((trace_out, lambda p: report.write_trace(res, p, period)))
    for path, write in outputs:
        write(path)


@cli.command()
def plugins():
    """List installed plugin distributions and the components they register."""
    from npusim.plugins import make_plugins

    p = make_plugins()
    for info in sorted(p.infos, key=lambda i: i.dist):
        comps = ", ".join(info.components) or "(no components)"
        click.echo(f"{info.dist} {info.version} [{info.name}]: {comps}")


@cli.command()
@click.argument("kind")
@click.argument("name")
def info(kind, name):
    """Parameters of component NAME of KIND (dram, noc, cache, core, mapper, frontend, reporter)."""
    from npusim.config.fields import describe
    from npusim.plugins import make_plugins

    spec = make_plugins().registry.get(kind, name)
    click.echo(f"{kind} {name} (from {spec.dist}): {spec.description}")
    for row in describe(spec.config_cls):
        unit = f" [{row['unit']}]" if row["unit"] else ""
        choices = f" one of {', '.join(map(str, row['choices']))}" if row["choices"] else ""
        click.echo(f"  {row['name']}: {row['type']} = {row['default']!r}{unit} - {row['description']}{choices}")


@cli.command()
@click.option("--config", "config", default=None, help="also validate this config and print it resolved")
def schema(config):
    """JSON Schema of a machine config (component sections list every registered impl)."""
    from npusim.config import dump_config, load_config
    from npusim.config.fields import json_schema
    from npusim.config.schema import COMPONENT_SECTIONS, KERNEL_SECTIONS
    from npusim.plugins import make_plugins

    p = make_plugins()
    if config:
        click.echo(dump_config(load_config(config, p)))
        return
    props = {"name": {"type": "string"}, "description": {"type": "string"},
             "base": {"type": "string", "description": "preset or file this config extends"}}
    for sec, cls in KERNEL_SECTIONS.items():
        props[sec] = json_schema(cls)
    for sec, kind in COMPONENT_SECTIONS.items():
        alts = []
        for name in p.registry.names(kind):
            s = json_schema(p.registry.get(kind, name).config_cls)
            s["properties"]["impl"] = {"const": name}
            alts.append(s)
        props[sec] = {"oneOf": alts}
    click.echo(json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "npusim machine config",
                           "type": "object", "properties": props, "additionalProperties": False}, indent=1))


@cli.command("serve-sim")
@click.argument("scenario")
@click.option("--json", "json_out", default=None, help="write the serving report (per request and summary) here")
def serve_sim(scenario, json_out):
    """Serve a multi-tenant SCENARIO file (models on request queues, Poisson or explicit arrivals)."""
    from rich.console import Console
    from rich.table import Table

    from npusim.scheduler.scenario import load_scenario, run_scenario

    rep = run_scenario(load_scenario(scenario))
    table = Table(title=f"serving: {len(rep.requests)} requests over {rep.total_ms:.3f} ms simulated")
    for col in ("model", "requests", "throughput req/s", "mean ms", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(col, justify="right")
    for name, m in rep.models.items():
        table.add_row(name, str(m["count"]), f"{m['throughput_rps']:.1f}", f"{m['mean_ms']:.4f}", f"{m['p50_ms']:.4f}",
                      f"{m['p95_ms']:.4f}", f"{m['p99_ms']:.4f}")
    Console().print(table)
    for t in rep.tenants:
        click.echo(f"queue {t['queue']}: DRAM {t['dram_bytes']:,} B, {t['dram_GBps']:.2f} GB/s")
    if json_out:
        with open(json_out, "w") as fh:
            json.dump(rep.to_dict(), fh, indent=1)


def _add_plugin_commands() -> None:
    from npusim.plugins import make_plugins

    for impl in make_plugins().hook.npusim_cli_commands.get_hookimpls():
        try:
            impl.function(cli=cli)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not take the whole CLI down
            click.echo(f"npusim: warning: commands of plugin {impl.plugin_name!r} unavailable: {exc}", err=True)


def main(argv=None) -> int:
    """Entry point: user errors print one line and exit 2."""
    _add_plugin_commands()
    try:
        cli.main(args=argv, prog_name="npusim", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return 2
    except NpusimError as exc:
        click.echo(f"npusim: error: {exc}", err=True)
        return 2
    except OSError as exc:
        click.echo(f"npusim: error: {exc}", err=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())


def entry() -> None:
    """Console-script wrapper: exit with main()'s code."""
    sys.exit(main())
