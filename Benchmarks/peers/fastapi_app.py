"""The peer HTTP service: FastAPI + uvicorn, as in the reference pipeline (REFERENCE.md step 5).

Loads a joblib file holding {"scaler": StandardScaler, "model": LGBMRegressor} trained on the
California Housing training split, validates the 8 named features with pydantic, scales them and
returns the prediction as JSON. `POST /predict` takes one row (the reference API); `POST
/predict_batch` takes {"instances": [row, ...]} (the same body plumb serve accepts for a batch).

Run: PEER_MODEL=work/models/fastapi_model.joblib uvicorn fastapi_app:app --port P --workers 1
"""
import os
from typing import List

import joblib
import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel

FEATURES = ["MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude"]


class HousingFeatures(BaseModel):
    MedInc: float
    HouseAge: float
    AveRooms: float
    AveBedrms: float
    Population: float
    AveOccup: float
    Latitude: float
    Longitude: float


class Batch(BaseModel):
    instances: List[HousingFeatures]


_bundle = joblib.load(os.environ["PEER_MODEL"])
_scaler = _bundle["scaler"]
_model = _bundle["model"]

app = FastAPI(title="California housing (peer)")


def _matrix(rows: List[HousingFeatures]) -> np.ndarray:
    return np.array([[getattr(r, f) for f in FEATURES] for r in rows], dtype=np.float64)


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.post("/predict")
def predict(features: HousingFeatures) -> dict:
    x = _scaler.transform(_matrix([features]))
    return {"prediction": float(_model.predict(x)[0])}


@app.post("/predict_batch")
def predict_batch(batch: Batch) -> dict:
    x = _scaler.transform(_matrix(batch.instances))
    return {"predictions": _model.predict(x).tolist()}
