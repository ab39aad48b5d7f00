"""Google's ZetaSQL analyser as the tests use it: the local-service server of the npm package that `make tools`
installs (tools/zetasql), a gRPC client built from the package's own .proto files, and a catalog built from the
project's production table definitions (phase6/warehouse/schema.py).

The server resolves a statement the way BigQuery's front end does: every name against the catalog, every function
against GoogleSQL's built-ins, every named parameter against its declared type. Only the language features listed
in BIGQUERY_FEATURES are enabled, so a construct BigQuery does not have is rejected too.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any, Mapping

from phase6.warehouse.schema import DATASETS, TABLES, VIEWS

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / ".tools" / "zetasql" / "node_modules" / "@fivetrandevelopers" / "zetasql" / "lib" / "zetasql"
SERVER_BINARY = PACKAGE / "remote_server.so"
PROTOS = PACKAGE / "protos"
SERVICE = "/zetasql.local_service.ZetaSqlLocalService/"

# GoogleSQL features BigQuery has and the project's SQL may use. Anything else stays disabled.
BIGQUERY_FEATURES = (
    "FEATURE_ANALYTIC_FUNCTIONS",  # OVER (...)
    "FEATURE_V_1_3_QUALIFY",
    "FEATURE_NUMERIC_TYPE",
    "FEATURE_BIGNUMERIC_TYPE",
    "FEATURE_JSON_TYPE",
    "FEATURE_V_1_2_CIVIL_TIME",  # DATETIME, TIME
    "FEATURE_V_1_1_ORDER_BY_IN_AGGREGATE",  # STRING_AGG(x ORDER BY y), ARRAY_AGG(... ORDER BY ...)
    "FEATURE_V_1_1_LIMIT_IN_AGGREGATE",
    "FEATURE_V_1_1_NULL_HANDLING_MODIFIER_IN_AGGREGATE",  # ARRAY_AGG(x IGNORE NULLS)
    "FEATURE_V_1_1_SELECT_STAR_EXCEPT_REPLACE",
    "FEATURE_V_1_2_SAFE_FUNCTION_CALL",  # SAFE.function(...)
    "FEATURE_V_1_3_DATE_ARITHMETICS",  # DATE_ADD/DATE_SUB with INTERVAL
)

# BigQuery's INFORMATION_SCHEMA.COLUMNS view, as far as the project reads it (the schema preflight).
INFORMATION_SCHEMA_COLUMN_TYPES = {
    "table_catalog": "STRING", "table_schema": "STRING", "table_name": "STRING", "column_name": "STRING",
    "ordinal_position": "INT64", "is_nullable": "STRING", "data_type": "STRING", "is_generated": "STRING",
    "is_hidden": "STRING", "is_system_defined": "STRING", "is_partitioning_column": "STRING",
    "clustering_ordinal_position": "INT64",
}


class AnalyserError(AssertionError):
    """The analyser rejected a statement; the message is the analyser's."""


class Analyser:
    """A client of a running ZetaSQL local-service server at `address` (host:port)."""

    def __init__(self, address: str):
        import grpc

        self._pool = _descriptor_pool()
        self._messages = _message_classes(self._pool)
        self._channel = grpc.insecure_channel(address)
        grpc.channel_ready_future(self._channel).result(timeout=30)
        self._analyze = self._channel.unary_unary(
            SERVICE + "Analyze", request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=self._messages["AnalyzeResponse"].FromString)
        self._language = self._language_options()
        self._catalog = self._production_catalog()

    def close(self) -> None:
        self._channel.close()

    def analyse(self, sql: str, parameter_types: Mapping[str, str]) -> None:
        """Resolve one statement with its named parameters declared (GoogleSQL type names); raise AnalyserError
        with the analyser's message when it is rejected."""
        import grpc

        request = self._messages["AnalyzeRequest"]()
        request.options.language_options.CopyFrom(self._language)
        request.options.error_message_mode = self._enum("zetasql.ErrorMessageMode", "ERROR_MESSAGE_MULTI_LINE_WITH_CARET")
        request.options.parameter_mode = self._enum("zetasql.ParameterMode", "PARAMETER_NAMED")
        for name, type_name in parameter_types.items():
            parameter = request.options.query_parameters.add(name=name)
            self._set_type(parameter.type, type_name)
        request.simple_catalog.CopyFrom(self._catalog)
        request.sql_statement = sql
        try:
            self._analyze(request, timeout=60)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.INVALID_ARGUMENT:
                raise
            raise AnalyserError(error.details()) from None

    def _language_options(self) -> Any:
        options = self._messages["LanguageOptionsProto"]()
        options.product_mode = self._enum("zetasql.ProductMode", "PRODUCT_EXTERNAL")
        for feature in BIGQUERY_FEATURES:
            options.enabled_language_features.append(self._enum("zetasql.LanguageFeature", feature))
        return options

    def _production_catalog(self) -> Any:
        """One sub-catalog per dataset, holding its tables and views and its INFORMATION_SCHEMA.COLUMNS."""
        catalog = self._messages["SimpleCatalogProto"](name="production")
        catalog.builtin_function_options.language_options.CopyFrom(self._language)
        by_dataset = {dataset: catalog.catalog.add(name=dataset) for dataset in DATASETS}
        for serial, table in enumerate([*TABLES.values(), *VIEWS.values()], start=1):
            dataset, name = table.name.split(".", 1)
            self._add_table(by_dataset[dataset], name, {c.name: c.bq_type for c in table.columns}, serial)
        for serial, dataset_catalog in enumerate(by_dataset.values(), start=1000):
            schema = dataset_catalog.catalog.add(name="INFORMATION_SCHEMA")
            self._add_table(schema, "COLUMNS", INFORMATION_SCHEMA_COLUMN_TYPES, serial)
        return catalog

    def _add_table(self, catalog: Any, name: str, columns: Mapping[str, str], serial: int) -> None:
        table = catalog.table.add(name=name, serialization_id=serial)
        for column_name, type_name in columns.items():
            self._set_type(table.column.add(name=column_name).type, type_name)

    def _set_type(self, type_proto: Any, type_name: str) -> None:
        """GoogleSQL type text (STRING, NUMERIC(5,2), ARRAY<FLOAT64>) into a TypeProto."""
        array = re.fullmatch(r"ARRAY<(.+)>", type_name)
        if array:
            type_proto.type_kind = self._enum("zetasql.TypeKind", "TYPE_ARRAY")
            self._set_type(type_proto.array_type.element_type, array.group(1))
            return
        base = type_name.split("(", 1)[0]
        kind = {"INT64": "TYPE_INT64", "FLOAT64": "TYPE_DOUBLE", "BOOL": "TYPE_BOOL"}.get(base, f"TYPE_{base}")
        type_proto.type_kind = self._enum("zetasql.TypeKind", kind)

    def _enum(self, enum_name: str, value_name: str) -> int:
        return self._pool.FindEnumTypeByName(enum_name).values_by_name[value_name].number


_POOL: Any = None


def _descriptor_pool() -> Any:
    """The package's .proto files compiled (by grpcio-tools' protoc) into a descriptor pool, once per process."""
    global _POOL
    if _POOL is None:
        from google.protobuf import descriptor_pb2, descriptor_pool
        from grpc_tools import protoc

        import grpc_tools

        well_known = Path(grpc_tools.__file__).parent / "_proto"
        with tempfile.TemporaryDirectory() as folder:
            output = Path(folder) / "zetasql.pb"
            status = protoc.main(["protoc", f"-I{PROTOS}", f"-I{well_known}", "--include_imports",
                                  f"--descriptor_set_out={output}", "local_service.proto"])
            if status != 0:
                raise RuntimeError(f"protoc could not compile {PROTOS}/local_service.proto (status {status})")
            files = descriptor_pb2.FileDescriptorSet.FromString(output.read_bytes())
        pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            pool.Add(file)
        _POOL = pool
    return _POOL


def _message_classes(pool: Any) -> dict[str, type]:
    from google.protobuf import message_factory

    names = {"AnalyzeRequest": "zetasql.local_service.AnalyzeRequest",
             "AnalyzeResponse": "zetasql.local_service.AnalyzeResponse",
             "LanguageOptionsProto": "zetasql.LanguageOptionsProto",
             "SimpleCatalogProto": "zetasql.SimpleCatalogProto"}
    return {short: message_factory.GetMessageClass(pool.FindMessageTypeByName(full)) for short, full in names.items()}
