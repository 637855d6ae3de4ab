"""Query-count baselines of every admin changelist, each kept in its model's app's file."""
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin

from leadhub.testing import admin_url, make_contact_history, make_workspace
from leadhub.testing.query_counts import app_of

pytestmark = pytest.mark.django_db

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


def baseline_app(model):
    """The project app whose file holds the model's baseline; Django's own models (users, groups)
    go to leadhub's, the project's."""
    config = model._meta.app_config
    ours = Path(config.path).resolve() == (Path(settings.BASE_DIR) / config.name).resolve()
    return app_of(config.path) if ours else "leadhub"


@pytest.mark.parametrize("model", MODELS, ids=[model._meta.label for model in MODELS])
def test_changelist_queries_match_the_baseline(admin_client, model, query_baseline):
    for _ in range(3):
        make_contact_history(workspace=make_workspace())
    url = admin_url(model, "changelist")
    with query_baseline(f"admin-{model._meta.model_name}-changelist", app=baseline_app(model)):
        response = admin_client.get(url)
    assert response.status_code == 200, url
