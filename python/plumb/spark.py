"""Scoring a Spark DataFrame with a Plumb model inside the executors (`DataFrame.mapInArrow`)."""


def output_fields(model):
    """Spark fields of the prediction columns: `prediction` double, or `label` string and
    `prob_<class>` doubles."""
    from pyspark.sql.types import DoubleType, StringType, StructField
    return [StructField(name, StringType() if (model.classes and j == 0) else DoubleType(), False)
            for j, name in enumerate(model.outputs)]


def predict(df, model_uri, store=None, threads=1):
    """`df` with the model's prediction columns appended, scored by `plumb.Model` in each Python
    worker: the model opens once per partition iterator and scores Arrow batches as they come.

    model_uri: a model file path, or `models:/NAME/VERSION` / `models:/NAME@ALIAS` in `store`
    (both must be readable on the executors). An alias is resolved here, on the driver, and the
    executors open that version, so a promotion during the job cannot mix two models.
    threads: scoring threads per Python worker (1: Spark already runs one task per core)."""
    from . import Model

    with Model(model_uri, store) as model:  # fails early, on the driver, for a bad URI or path
        pinned = model.pinned_reference()
        missing = [f for f in model.features if f not in df.columns]
        if missing:
            raise ValueError(f"DataFrame lacks the model's feature column(s) {', '.join(missing)} (it has {', '.join(df.columns)})")
        clash = [n for n in model.outputs if n in df.columns]
        if clash:
            raise ValueError(f"DataFrame already has column(s) {', '.join(clash)}; drop or rename them before scoring")
        from pyspark.sql.types import StructType
        schema = StructType(list(df.schema.fields) + output_fields(model))

    def score(batches):
        from . import Model as ExecutorModel
        with ExecutorModel(pinned, store, threads=threads) as m:
            for batch in batches:
                yield m.predict(batch, keep_columns=True)

    return df.mapInArrow(score, schema)
