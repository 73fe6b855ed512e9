"""The operator's calls to the Kubernetes API: read, apply, scale, delete, status and events."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, cast

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from urllib3 import HTTPResponse

from alpha_panda.adapters.kubernetes import api_client_from_environment
from alpha_panda_operator import GROUP, VERSION

Manifest = dict[str, Any]
MERGE_PATCH = "application/merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
COMPONENT = "alpha-panda-operator"
FIELD_MANAGER = COMPONENT
"""Field manager of the operator's server-side applies: the owner of every field it sets."""

logger = logging.getLogger(__name__)


class Applied(StrEnum):
    """What applying a Deployment did."""

    CREATED = "Created"
    UPDATED = "Updated"
    UNCHANGED = "Unchanged"


class Cluster:
    """Thin, synchronous access to the API objects the operator reads and writes."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self._api = api_client
        self._apps = client.AppsV1Api(api_client)
        self._core = client.CoreV1Api(api_client)
        self._custom = client.CustomObjectsApi(api_client)

    @classmethod
    def from_environment(cls) -> Cluster:
        """Connect with the in-cluster service account, or else the kubeconfig."""
        return cls(api_client_from_environment())

    def get_deployment(self, namespace: str, name: str) -> Manifest | None:
        """Return a Deployment as a dict, or None when it does not exist."""
        return self._absent_as_none(
            lambda: self._apps.read_namespaced_deployment(name, namespace, _preload_content=False)
        )

    def get_secret_data(self, namespace: str, name: str) -> dict[str, str] | None:
        """Return a Secret's base64 data, or None when it does not exist."""
        secret = self._absent_as_none(
            lambda: self._core.read_namespaced_secret(name, namespace, _preload_content=False)
        )
        return None if secret is None else dict(secret.get("data") or {})

    def get_resource(self, plural: str, namespace: str, name: str) -> Manifest | None:
        """Return one of the operator's custom resources, or None when it does not exist."""
        return self._absent_as_none(
            lambda: self._custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace, plural, name, _preload_content=False
            )
        )

    def list_resources(self, plural: str, namespace: str | None = None) -> list[Manifest]:
        """Return the custom resources of one namespace, or of all when `namespace` is None."""
        if namespace is None:
            response = self._custom.list_cluster_custom_object(
                GROUP, VERSION, plural, _preload_content=False
            )
        else:
            response = self._custom.list_namespaced_custom_object(
                GROUP, VERSION, namespace, plural, _preload_content=False
            )
        items: list[Manifest] = _body(response)["items"]
        return items

    def apply_deployment(self, namespace: str, desired: Manifest) -> Applied:
        """Server-side apply `desired` as the operator's field manager, taking every field back.

        A forced apply repairs any field the operator owns that someone else changed (image,
        env, probes, replicas, resources); an apply that changes nothing writes nothing.
        """
        name = desired["metadata"]["name"]
        before = self.get_deployment(namespace, name)
        response = self._apps.patch_namespaced_deployment(
            name,
            namespace,
            desired,
            field_manager=FIELD_MANAGER,
            force=True,
            _content_type=APPLY_PATCH,
            _preload_content=False,
        )
        after: Manifest = _body(response)
        if _spec_edited_by_others(after):
            # an apply leaves alone what another manager added (an env entry, a CPU limit):
            # replacing the whole object takes the spec back to exactly the desired one
            body = {
                **desired,
                "metadata": {
                    **desired["metadata"],
                    "resourceVersion": after["metadata"]["resourceVersion"],
                },
            }
            # the client serialises a plain dict as it is, fields its models lack included
            replaced = self._apps.replace_namespaced_deployment(
                name,
                namespace,
                cast(client.V1Deployment, body),
                field_manager=FIELD_MANAGER,
                _preload_content=False,
            )
            after = _body(replaced)
        if before is None:
            return Applied.CREATED
        return Applied.UPDATED if _changed(before, after) else Applied.UNCHANGED

    def scale_deployment(self, namespace: str, name: str, replicas: int) -> bool:
        """Set only a Deployment's replicas; return True when that changed anything."""
        current = self.get_deployment(namespace, name)
        if current is None or current["spec"].get("replicas") == replicas:
            return False
        self._apps.patch_namespaced_deployment(
            name,
            namespace,
            {"spec": {"replicas": replicas}},
            field_manager=FIELD_MANAGER,
            _content_type=MERGE_PATCH,
        )
        return True

    def delete_deployment(self, namespace: str, name: str) -> bool:
        """Delete a Deployment and its pods; return False when it was already gone."""
        try:
            self._apps.delete_namespaced_deployment(
                name, namespace, body=client.V1DeleteOptions(propagation_policy="Background")
            )
            return True
        except ApiException as error:
            if error.status == 404:
                return False
            raise

    def iter_deployments(self, namespace: str, selector: str) -> Iterator[Manifest]:
        """Yield the Deployments of a namespace that match a label selector."""
        response = self._apps.list_namespaced_deployment(
            namespace, label_selector=selector, _preload_content=False
        )
        yield from _body(response)["items"]

    def patch_status(self, plural: str, namespace: str, name: str, status: Manifest) -> None:
        """Merge `status` into a custom resource's status subresource."""
        self._custom.patch_namespaced_custom_object_status(
            GROUP,
            VERSION,
            namespace,
            plural,
            name,
            {"status": status},
            _content_type=MERGE_PATCH,
        )

    def record_event(
        self, resource: Mapping[str, Any], reason: str, message: str, warning: bool = False
    ) -> None:
        """Post a Kubernetes Event about `resource`; a failure to post is logged, not raised."""
        metadata = resource["metadata"]
        now = datetime.now(UTC)
        event = client.CoreV1Event(
            metadata=client.V1ObjectMeta(
                generate_name=f"{metadata['name']}.", namespace=metadata["namespace"]
            ),
            involved_object=client.V1ObjectReference(
                api_version=resource["apiVersion"],
                kind=resource["kind"],
                name=metadata["name"],
                namespace=metadata["namespace"],
                uid=metadata["uid"],
                resource_version=metadata.get("resourceVersion"),
            ),
            reason=reason,
            message=message[:1024],
            type="Warning" if warning else "Normal",
            source=client.V1EventSource(component=COMPONENT),
            first_timestamp=now,
            last_timestamp=now,
            count=1,
        )
        try:
            self._core.create_namespaced_event(metadata["namespace"], event)
        except ApiException as error:
            logger.warning("event %s on %s not posted: %s", reason, metadata["name"], error.reason)

    @staticmethod
    def _absent_as_none(read: Any) -> Manifest | None:
        try:
            response = read()
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        result: Manifest = _body(response)
        return result


def _changed(before: Manifest, after: Manifest) -> bool:
    """Tell whether an apply changed the spec or the metadata, not only the status meanwhile."""
    keys = ("generation", "labels", "annotations", "ownerReferences")
    return any(before["metadata"].get(key) != after["metadata"].get(key) for key in keys)


def _body(response: object) -> Any:
    """Decode the JSON of a response read without the client's models (`_preload_content`
    False), which would drop fields they do not know."""
    return json.loads(cast(HTTPResponse, response).data)


def _spec_edited_by_others(deployment: Manifest) -> bool:
    """Tell whether a field manager other than the operator's owns part of the spec."""
    return any(
        entry.get("manager") != FIELD_MANAGER and "f:spec" in (entry.get("fieldsV1") or {})
        for entry in deployment["metadata"].get("managedFields") or []
    )
