"""render: what a location's bundles add up to, with where each item came from."""

from __future__ import annotations

import click

from ghlops.cli.app import Context, cli
from ghlops.cli.common import Selection, location_options
from ghlops.cli.output import echo


@cli.command()
@location_options
@click.pass_obj
def render(obj: Context, selection: Selection) -> None:
    """Print the merged, rendered manifests of the selected locations (-l LOC, --kind K).

    Each item shows the file and line it came from and, when a later bundle overrides an item of
    an earlier one, which. Offline: no token needed.
    """
    from ghlops.manifest.loader import load_all
    from ghlops.manifest.project import load_project
    from ghlops.render.manifest import render_state

    project = load_project(obj.directory)
    states = load_all(project, selection.select(project))
    from ghlops.resources import registry

    selection.kind_list()  # unknown kinds are errors
    kinds: list[str] | None = None
    if selection.kinds:  # with their nested kinds: --kind products shows the prices too
        wanted = set(selection.kinds)
        kinds = [k for k, a in registry.ADAPTERS.items() if k in wanted or a.parent_kind in wanted]
    excluded = set(selection.exclude_kinds)
    for index, state in enumerate(states):
        if index:
            echo("")
        echo(render_state(state, kinds=kinds, exclude=excluded), nl=False)
