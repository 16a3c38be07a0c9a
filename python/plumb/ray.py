"""Scoring a Ray Dataset with a Plumb model (`Dataset.map_batches`, pyarrow batches, one model per actor)."""


class Scorer:
    """The callable class Ray Data runs in each actor: opens the model once, scores every batch."""

    def __init__(self, model_uri, store=None, threads=1, keep_columns=True):
        from . import Model
        self.model = Model(model_uri, store, threads=threads)
        self.keep_columns = keep_columns

    def __call__(self, batch):
        return self.model.predict(batch, keep_columns=self.keep_columns)


def predict(ds, model_uri, store=None, concurrency=2, threads=1, batch_size=65536, keep_columns=True, **map_batches_args):
    """`ds` with the model's prediction columns appended (`keep_columns`), scored in `concurrency`
    actors that each open the model once. An alias URI is resolved here and the actors open that
    version. Extra keyword arguments go to `Dataset.map_batches`."""
    from . import Model

    with Model(model_uri, store) as model:  # fails early for a bad URI or path
        pinned = model.pinned_reference()
    try:  # a fixed pool of `concurrency` actors (`concurrency=` is deprecated since Ray 2.51)
        from ray.data import ActorPoolStrategy
        pool = {"compute": ActorPoolStrategy(size=concurrency)}
    except ImportError:
        pool = {"concurrency": concurrency}
    pool.update(map_batches_args)
    return ds.map_batches(Scorer, fn_constructor_kwargs={"model_uri": pinned, "store": store, "threads": threads,
                                                         "keep_columns": keep_columns},
                          batch_format="pyarrow", batch_size=batch_size, **pool)
