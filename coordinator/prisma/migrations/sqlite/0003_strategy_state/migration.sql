-- CreateTable
CREATE TABLE "StrategyState" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "taskId" TEXT NOT NULL,
    "modelVersionId" TEXT NOT NULL,
    "stateJson" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "StrategyState_modelVersionId_key" ON "StrategyState"("modelVersionId");

-- CreateIndex
CREATE INDEX "StrategyState_taskId_idx" ON "StrategyState"("taskId");
